import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { registerExport } from "../../src/cli/commands/export.js";
import { readSafetensors, type TensorMap } from "../../src/io/safetensors.js";
import { decodeSparse } from "../../src/io/sparse_tensors.js";
import { ZipReader } from "../../src/io/torch/zip.js";
import { convertReferenceModel } from "../../src/model/convert_reference.js";
import { exportReferenceModel } from "../../src/model/export_reference.js";
import { Tokenizer } from "../../src/tokenizer/tokenizer.js";
import { saveTokenizer } from "../../src/tokenizer/tokenizer_files.js";
import { cspError, fixture } from "../io/torch/helpers.js";
import { describeTorchFiles, type TorchFileDescription } from "../io/torch/python.js";

function denseWeights(dir: string): TensorMap {
  const path = join(dir, "model.safetensors");
  const file = readSafetensors(path);
  return decodeSparse(file.tensors, file.metadata, path);
}

function bytesOf(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Our checkpoints of the tiny reference fixtures (made by real torch, see make.py). */
let root: string;
let plain: string;
let tied: string;
let plainExport: string;
let tiedExport: string;
let torchView: Record<string, TorchFileDescription>;

afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "csp-export-"));
  plain = join(root, "plain");
  tied = join(root, "tied");
  convertReferenceModel({ from: fixture("tiny-mask"), out: plain });
  convertReferenceModel({ from: fixture("tiny-tied"), out: tied });
  saveTokenizer(join(tied, "tokenizer"), Tokenizer.fromMerges([]));
  plainExport = join(root, "plain-ref");
  tiedExport = join(root, "tied-ref");
  exportReferenceModel({ model: plain, out: plainExport });
  // The zip64 path (members and offsets past 4 GiB in big models), forced on a small file.
  exportReferenceModel({ model: tied, out: tiedExport, zip: { forceZip64: true } });
  torchView = describeTorchFiles([join(plainExport, "final_model.pt"), join(tiedExport, "final_model.pt")]);
});

describe("exportReferenceModel", () => {
  test("torch.load(weights_only=True) reads every tensor bit for bit as our safetensors hold it", () => {
    for (const [dir, exp] of [
      [plain, plainExport],
      [tied, tiedExport],
    ]) {
      const view = torchView[join(exp, "final_model.pt")];
      expect(view.type).toBe("OrderedDict");
      const ours = denseWeights(dir);
      for (const [name, t] of ours) {
        const theirs = view.tensors[name];
        expect(theirs, name).toBeDefined();
        expect(theirs.dtype, name).toBe("float32");
        expect(theirs.shape, name).toEqual(t.shape);
        expect(Buffer.from(theirs.bytes, "base64").equals(bytesOf(t.data)), `${name}: bytes`).toBe(true);
      }
      const extra = Object.keys(view.tensors).filter((n) => !ours.has(n));
      expect(extra).toEqual(dir === tied ? ["lm_head.weight"] : []);
    }
  });

  test("a tied lm_head.weight shares wte's storage, as model.state_dict() gives it", () => {
    const t = torchView[join(tiedExport, "final_model.pt")].tensors;
    expect(t["lm_head.weight"].storage).toBe(t["transformer.wte.weight"].storage);
    expect(t["lm_head.weight"].bytes).toBe(t["transformer.wte.weight"].bytes);
  });

  test("data.pkl is byte for byte what torch.save pickles for the same state dict", () => {
    for (const exp of [plainExport, tiedExport]) {
      const path = join(exp, "final_model.pt");
      const zip = ZipReader.open(path);
      try {
        const ours = Buffer.from(zip.readEntry("archive/data.pkl"));
        expect(ours.equals(Buffer.from(torchView[path].torch_pickle, "base64")), path).toBe(true);
      } finally {
        zip.close();
      }
    }
  });

  test("zip layout: archive/ members, stored, data 64-byte aligned, valid CRCs, version and byteorder", () => {
    for (const exp of [plainExport, tiedExport]) {
      const path = join(exp, "final_model.pt");
      const view = torchView[path];
      expect(view.testzip).toBeNull();
      const names = view.members.map((m) => m.name);
      const storages = names.filter((n) => n.startsWith("archive/data/"));
      expect(names).toEqual(["archive/data.pkl", "archive/byteorder", ...storages, "archive/version"]);
      expect(storages).toEqual(storages.map((_, i) => `archive/data/${i}`));
      for (const m of view.members) {
        expect(m.method, m.name).toBe(0);
        expect(m.data_offset % 64, m.name).toBe(0);
      }
      const zip = ZipReader.open(path);
      try {
        expect(new TextDecoder().decode(zip.readEntry("archive/byteorder"))).toBe("little");
        expect(new TextDecoder().decode(zip.readEntry("archive/version"))).toBe("3\n");
      } finally {
        zip.close();
      }
    }
    // One storage per tensor; the tied lm_head adds none.
    expect(torchView[join(tiedExport, "final_model.pt")].members.length).toBe(
      Object.keys(torchView[join(tiedExport, "final_model.pt")].tensors).length - 1 + 3,
    );
  });

  test("round trip: export then csp convert gives bit-identical weights and the same config", () => {
    for (const [dir, exp] of [
      [plain, plainExport],
      [tied, tiedExport],
    ]) {
      const back = join(root, `${dir === tied ? "tied" : "plain"}-back`);
      convertReferenceModel({ from: exp, out: back });
      const a = denseWeights(dir);
      const b = denseWeights(back);
      expect([...b.keys()]).toEqual([...a.keys()]);
      for (const [name, t] of a) expect(bytesOf(b.get(name)!.data).equals(bytesOf(t.data)), name).toBe(true);
      expect(JSON.parse(readFileSync(join(back, "config.json"), "utf8"))).toEqual(
        JSON.parse(readFileSync(join(dir, "config.json"), "utf8")),
      );
    }
  });

  test("beeg_config.json uses the released key n_mlp; the tokenizer is copied byte for byte", () => {
    const cfg = JSON.parse(readFileSync(join(plainExport, "beeg_config.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(cfg.n_mlp).toBe(8);
    expect(cfg).not.toHaveProperty("d_mlp");
    expect(readdirSync(plainExport).sort()).toEqual(["beeg_config.json", "final_model.pt"]);
    for (const f of ["vocab.bpe", "encoder.json"])
      expect(
        readFileSync(join(tiedExport, "tokenizer", f)).equals(readFileSync(join(tied, "tokenizer", f))),
      ).toBe(true);
  });

  test("bad input: one-line errors, nothing written", () => {
    const out = join(root, "never");
    expect(cspError(() => exportReferenceModel({ model: join(root, "missing"), out })).message).toMatch(
      /missing: model directory does not exist/,
    );
    expect(existsSync(out)).toBe(false);
    const foreign = join(root, "foreign");
    mkdirSync(foreign);
    writeFileSync(join(foreign, "notes.txt"), "mine");
    expect(cspError(() => exportReferenceModel({ model: plain, out: foreign })).message).toMatch(
      /foreign: directory exists and is not a reference model export/,
    );
    expect(readdirSync(foreign)).toEqual(["notes.txt"]);
    expect(readdirSync(root).filter((n) => n.includes(".tmp"))).toEqual([]);
  });

  test("csp export --format reference; another format is refused", async () => {
    const run = async (...args: string[]) => {
      const program = new Command().exitOverride();
      registerExport(program);
      const log = vi.spyOn(console, "log").mockImplementation(() => {});
      try {
        await program.parseAsync(args, { from: "user" });
        return log.mock.calls.map((c) => String(c[0])).join("\n");
      } finally {
        log.mockRestore();
      }
    };
    const out = join(root, "cli-ref");
    const printed = await run("export", "--model", tied, "--format", "reference", "--out", out);
    expect(printed).toMatch(/final_model\.pt \(\d+ tensors, \d+ bytes\)/);
    expect(printed).toMatch(/tokenizer: copied from/);
    expect(existsSync(join(out, "final_model.pt"))).toBe(true);
    await expect(
      run("export", "--model", tied, "--format", "onnx", "--out", join(root, "x")),
    ).rejects.toThrow(/--format: expected one of reference, got "onnx"/);
    expect(existsSync(join(root, "x"))).toBe(false);
  });
});
