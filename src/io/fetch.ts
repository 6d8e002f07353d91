import { createHash } from "node:crypto";
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { CspError } from "../errors.js";
import { writeFileAtomic } from "./atomic.js";
import { silentProgress, type ProgressFactory } from "./progress.js";
import { ZipReader } from "./torch/zip.js";

/** The public bucket of the reference's released files (spec B.1). */
export const PUBLIC_BASE_URL = "https://openaipublic.blob.core.windows.net/circuit-sparsity";

/**
 * The record of what was fetched into a directory: for each file (path relative to the directory, as
 * in the bucket) its URL, size and sha256 at first download. The public layout publishes no checksums,
 * so a file is trusted on first use and every later download of it must match.
 */
export const FETCH_MANIFEST = ".csp-fetch.json";

export interface FetchedFile {
  path: string;
  url: string;
  size: number;
  sha256: string;
  /** "downloaded", "resumed" (continued a .part), or "verified" (already there and matching the manifest). */
  how: "downloaded" | "resumed" | "verified";
}

interface ManifestEntry {
  url: string;
  size: number;
  sha256: string;
}
type Manifest = Record<string, ManifestEntry>;

/** What the bucket layout says a NAME stands for: file paths relative to the bucket root. */
export function resolveFetchName(name: string): string[] {
  const clean = name.replace(/^\/+|\/+$/g, "");
  const parts = clean.split("/");
  if (clean === "" || parts.some((p) => p === "" || p === "." || p === ".." || !/^[A-Za-z0-9._-]+$/.test(p)))
    throw new CspError(
      `fetch: "${name}" is not a name of the public layout (letters, digits, . _ - and / between parts)`,
    );
  if (/\.(pt|json|bpe|pkl)$/.test(parts.at(-1)!)) return [clean];
  if (clean === "tinypython" || clean === "tokenizer")
    return ["tinypython/encoder.json", "tinypython/vocab.bpe"];
  if (parts[0] === "viz" && parts.length === 5) return [`${clean}/viz_data.pt`];
  if (parts.length === 1 || (parts[0] === "models" && parts.length === 2)) {
    const model = parts.at(-1)!;
    return [`models/${model}/beeg_config.json`, `models/${model}/final_model.pt`];
  }
  throw new CspError(
    `fetch: "${name}" is not a name of the public layout; use a model (csp_yolo2 or models/csp_yolo2), tinypython, viz/<model>/<task>/<sweep>/<k>, or a file path`,
  );
}

export interface FetchOptions {
  /** Bucket root URL; default {@link PUBLIC_BASE_URL}. */
  base?: string;
  /** Directory the files are placed in, under their bucket paths. */
  out: string;
  progress?: ProgressFactory;
}

/**
 * Downloads what `name` stands for (see resolveFetchName) into `out`, mirroring the bucket layout.
 * Each file goes to `<file>.part` first, resumed with an HTTP Range request when a .part is there;
 * it is checked (size against the server's, sha256 against the manifest once recorded, `.pt` files
 * opened as zip archives) and only then renamed into place.
 */
export async function fetchReleased(name: string, opts: FetchOptions): Promise<FetchedFile[]> {
  const base = (opts.base ?? PUBLIC_BASE_URL).replace(/\/+$/, "");
  const files = resolveFetchName(name);
  const manifestPath = join(opts.out, FETCH_MANIFEST);
  const manifest = readManifest(manifestPath);
  const done: FetchedFile[] = [];
  for (const rel of files) {
    const result = await fetchOne(`${base}/${rel}`, rel, opts, manifest[rel]);
    if (!manifest[rel]) {
      manifest[rel] = { url: result.url, size: result.size, sha256: result.sha256 };
      writeFileAtomic(manifestPath, JSON.stringify(manifest, null, 2) + "\n");
    }
    done.push(result);
  }
  return done;
}

async function fetchOne(
  url: string,
  rel: string,
  opts: FetchOptions,
  recorded: ManifestEntry | undefined,
): Promise<FetchedFile> {
  const dest = join(opts.out, rel);
  const part = `${dest}.part`;
  if (recorded && existsSync(dest) && statSync(dest).size === recorded.size) {
    if ((await sha256File(dest)) === recorded.sha256)
      return { path: dest, url, size: recorded.size, sha256: recorded.sha256, how: "verified" };
  }
  mkdirSync(dirname(dest), { recursive: true });
  const have = existsSync(part) ? statSync(part).size : 0;
  let response: Response;
  try {
    response = await fetch(url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {} });
  } catch (e) {
    throw new CspError(`${url}: cannot download (${describeNetworkError(e)})`);
  }
  let start = 0;
  let total: number;
  if (response.status === 206) {
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.headers.get("content-range") ?? "");
    if (!range || Number(range[1]) !== have)
      throw new CspError(
        `${url}: server answered the resume request with a wrong range (${response.headers.get("content-range")})`,
      );
    start = have;
    total = Number(range[3]);
  } else if (response.status === 416 && have > 0) {
    // The .part is already whole (or longer than the file): check it, or start over if it is wrong.
    const range = /^bytes \*\/(\d+)$/.exec(response.headers.get("content-range") ?? "");
    total = range ? Number(range[1]) : -1;
    await response.body?.cancel();
    if (total !== have) {
      rmSync(part, { force: true });
      throw new CspError(
        `${part}: does not match ${url} (${have} bytes, the server has ${total}); removed it, run again`,
      );
    }
    return place(url, dest, part, total, recorded, "resumed", rel);
  } else if (response.status === 200) {
    total = Number(response.headers.get("content-length") ?? -1);
  } else {
    await response.body?.cancel();
    throw new CspError(`${url}: HTTP ${response.status} ${response.statusText}`.trim());
  }
  if (recorded && total >= 0 && total !== recorded.size)
    throw new CspError(
      `${url}: the server has ${total} bytes, ${recorded.size} were recorded on first download (${FETCH_MANIFEST})`,
    );

  const fd = openSync(part, start > 0 ? "a" : "w");
  const bar = (opts.progress ?? (() => silentProgress))(rel, Math.max(total, 0));
  let written = start;
  try {
    if (response.body) {
      for await (const chunk of response.body) {
        const bytes = chunk as Uint8Array;
        let off = 0;
        while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
        written += bytes.length;
        bar.update(written);
      }
    }
  } catch (e) {
    throw new CspError(
      `${url}: download interrupted at ${written} bytes (${describeNetworkError(e)}); run again to resume`,
    );
  } finally {
    closeSync(fd);
    bar.stop();
  }
  if (total >= 0 && written !== total)
    throw new CspError(`${url}: download ended at ${written} of ${total} bytes; run again to resume`);
  return place(url, dest, part, written, recorded, start > 0 ? "resumed" : "downloaded", rel);
}

/** Checks a finished .part and renames it into place; a .part that fails a check is removed. */
async function place(
  url: string,
  dest: string,
  part: string,
  size: number,
  recorded: ManifestEntry | undefined,
  how: FetchedFile["how"],
  rel: string,
): Promise<FetchedFile> {
  const sha256 = await sha256File(part);
  const reject = (problem: string): never => {
    rmSync(part, { force: true });
    throw new CspError(`${url}: ${problem}; the download was removed`);
  };
  if (recorded && sha256 !== recorded.sha256)
    reject(
      `checksum mismatch: sha256 ${sha256.slice(0, 16)}…, recorded ${recorded.sha256.slice(0, 16)}… on first download (${FETCH_MANIFEST})`,
    );
  if (rel.endsWith(".pt")) {
    // A torch.save file is a zip: a truncated or damaged blob has no central directory (spec B.2).
    try {
      ZipReader.open(part).close();
    } catch (e) {
      if (!(e instanceof CspError)) throw e;
      reject(`not a valid torch.save file (${e.message.slice(part.length + 2)})`);
    }
  }
  renameSync(part, dest);
  return { path: dest, url, size, sha256, how };
}

function readManifest(path: string): Manifest {
  if (!existsSync(path)) return {};
  try {
    const m = JSON.parse(readFileSync(path, "utf8")) as unknown;
    if (typeof m !== "object" || m === null || Array.isArray(m)) throw new Error("not an object");
    return m as Manifest;
  } catch (e) {
    throw new CspError(`${path}: not a valid fetch manifest (${(e as Error).message.split("\n")[0]})`);
  }
}

async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

function describeNetworkError(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
}
