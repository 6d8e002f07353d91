import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CspError } from "../../src/errors.js";
import { FETCH_MANIFEST, fetchReleased, resolveFetchName } from "../../src/io/fetch.js";
import { fixture } from "./torch/helpers.js";

/** A loopback server serving `tree` in the public layout, with Range support and fault injection. */
interface Faults {
  /** Cut the connection after this many body bytes of the next full response to this path. */
  cutAfter?: { path: string; bytes: number };
  /** Serve this path with one byte flipped. */
  corrupt?: string;
}

let root: string;
let tree: string;
let server: Server;
let base: string;
const faults: Faults = {};
const requests: { path: string; range: string | undefined }[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "csp-fetch-"));
  tree = join(root, "bucket");
  mkdirSync(join(tree, "models/tiny"), { recursive: true });
  copyFileSync(fixture("tiny-mask/beeg_config.json"), join(tree, "models/tiny/beeg_config.json"));
  copyFileSync(fixture("tiny-mask/final_model.pt"), join(tree, "models/tiny/final_model.pt"));
  mkdirSync(join(tree, "models/broken"), { recursive: true });
  writeFileSync(join(tree, "models/broken/beeg_config.json"), "{}");
  // The first half of a real checkpoint: no zip central directory, like a truncated blob.
  const pt = readFileSync(fixture("tiny-mask/final_model.pt"));
  writeFileSync(join(tree, "models/broken/final_model.pt"), pt.subarray(0, pt.length >> 1));

  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url!, "http://x").pathname).replace(/^\/bucket\//, "");
    requests.push({ path, range: req.headers.range });
    const file = join(tree, path);
    if (path.includes("..") || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    let body = readFileSync(file);
    if (faults.corrupt === path) {
      body = Buffer.from(body);
      body[body.length >> 1] ^= 0xff;
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    if (m) {
      const from = Number(m[1]);
      if (from >= body.length) {
        res.writeHead(416, { "Content-Range": `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, {
        "Content-Range": `bytes ${from}-${body.length - 1}/${body.length}`,
        "Content-Length": body.length - from,
      });
      res.end(body.subarray(from));
      return;
    }
    res.writeHead(200, { "Content-Length": body.length });
    if (faults.cutAfter?.path === path) {
      const n = faults.cutAfter.bytes;
      faults.cutAfter = undefined;
      res.write(body.subarray(0, n), () => res.destroy());
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bucket`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

async function fetchError(p: Promise<unknown>): Promise<CspError> {
  const e = await p.then(
    () => expect.fail("expected a CspError"),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CspError);
  expect((e as Error).message.includes("\n")).toBe(false);
  return e as CspError;
}

describe("fetchReleased", () => {
  test("names map onto the public layout (spec B.1)", () => {
    expect(resolveFetchName("csp_yolo2")).toEqual([
      "models/csp_yolo2/beeg_config.json",
      "models/csp_yolo2/final_model.pt",
    ]);
    expect(resolveFetchName("models/csp_yolo2")).toEqual(resolveFetchName("csp_yolo2"));
    expect(resolveFetchName("tinypython")).toEqual(["tinypython/encoder.json", "tinypython/vocab.bpe"]);
    expect(resolveFetchName("viz/csp_yolo2/bracket_counting_beeg/prune_v4/k_optim")).toEqual([
      "viz/csp_yolo2/bracket_counting_beeg/prune_v4/k_optim/viz_data.pt",
    ]);
    expect(resolveFetchName("train_curves/csp_yolo2/progress.json")).toEqual([
      "train_curves/csp_yolo2/progress.json",
    ]);
    expect(() => resolveFetchName("../etc/passwd")).toThrow(CspError);
    expect(() => resolveFetchName("viz/csp_yolo2")).toThrow(/not a name of the public layout/);
  });

  test("downloads a model into the bucket layout, records sizes and checksums, shows progress", async () => {
    const out = join(root, "out1");
    const shown: [string, number, number][] = [];
    const files = await fetchReleased("tiny", {
      base,
      out,
      progress: (label, total) => ({ update: (done) => shown.push([label, total, done]), stop() {} }),
    });
    expect(files.map((f) => f.how)).toEqual(["downloaded", "downloaded"]);
    for (const rel of ["models/tiny/beeg_config.json", "models/tiny/final_model.pt"]) {
      const want = readFileSync(join(tree, rel));
      expect(readFileSync(join(out, rel)).equals(want), rel).toBe(true);
      const manifest = JSON.parse(readFileSync(join(out, FETCH_MANIFEST), "utf8")) as Record<
        string,
        { sha256: string; size: number }
      >;
      expect(manifest[rel]).toMatchObject({ size: want.length, sha256: sha(want) });
    }
    const pt = statSync(join(tree, "models/tiny/final_model.pt")).size;
    expect(shown.filter(([l]) => l === "models/tiny/final_model.pt").at(-1)).toEqual([
      "models/tiny/final_model.pt",
      pt,
      pt,
    ]);
    // Already there and matching the manifest: verified without downloading.
    const before = requests.length;
    expect((await fetchReleased("tiny", { base, out })).map((f) => f.how)).toEqual(["verified", "verified"]);
    expect(requests.length).toBe(before);
  });

  test("an interrupted download leaves a .part that the next run resumes with a Range request", async () => {
    const out = join(root, "out2");
    const rel = "models/tiny/final_model.pt";
    faults.cutAfter = { path: rel, bytes: 2000 };
    const e = await fetchError(fetchReleased("tiny", { base, out }));
    expect(e.message).toMatch(/final_model\.pt: download (interrupted|ended) at \d+/);
    expect(existsSync(join(out, rel))).toBe(false);
    const partSize = statSync(join(out, `${rel}.part`)).size;
    expect(partSize).toBeGreaterThan(0);
    const files = await fetchReleased("tiny", { base, out });
    expect(files.map((f) => f.how)).toEqual(["verified", "resumed"]);
    expect(requests.at(-1)).toEqual({ path: rel, range: `bytes=${partSize}-` });
    expect(readFileSync(join(out, rel)).equals(readFileSync(join(tree, rel)))).toBe(true);
    expect(existsSync(join(out, `${rel}.part`))).toBe(false);
  });

  test("a file that changed since the first download fails the checksum and is not placed", async () => {
    const out = join(root, "out1"); // has the manifest from the first download
    const rel = "models/tiny/final_model.pt";
    rmSync(join(out, rel));
    faults.corrupt = rel;
    try {
      const e = await fetchError(fetchReleased("tiny", { base, out }));
      expect(e.message).toMatch(
        /final_model\.pt: checksum mismatch: sha256 [0-9a-f]{16}…, recorded [0-9a-f]{16}…/,
      );
    } finally {
      faults.corrupt = undefined;
    }
    expect(existsSync(join(out, rel))).toBe(false);
    expect(existsSync(join(out, `${rel}.part`))).toBe(false);
  });

  test("a truncated checkpoint blob (no zip directory) is refused; a missing file is an HTTP error", async () => {
    const out = join(root, "out3");
    const e = await fetchError(fetchReleased("broken", { base, out }));
    expect(e.message).toMatch(/broken\/final_model\.pt: not a valid torch\.save file/);
    expect(existsSync(join(out, "models/broken/final_model.pt"))).toBe(false);
    expect((await fetchError(fetchReleased("nothing", { base, out }))).message).toMatch(/HTTP 404/);
  });
});
