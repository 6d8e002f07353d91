import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { formatConvertSummary } from "../../src/cli/commands/convert.js";
import { convertReferenceModel } from "../../src/model/convert_reference.js";
import { readSafetensors, type TensorMap } from "../../src/io/safetensors.js";
import { decodeSparse } from "../../src/io/sparse_tensors.js";
import { loadModel } from "../../src/model/checkpoint.js";
import { Tokenizer } from "../../src/tokenizer/tokenizer.js";
import { saveTokenizer } from "../../src/tokenizer/tokenizer_files.js";
import {
  cspError,
  expectedTensors,
  fixture,
  PARITY_WEIGHTS,
  SHARED_PT_DIR,
  tempDir,
} from "../io/torch/helpers.js";

/** The weights of a checkpoint directory, dense (the checkpoint stores mostly-zero matrices sparsely). */
function readCheckpointWeights(dir: string): TensorMap {
  const path = join(dir, "model.safetensors");
  const file = readSafetensors(path);
  return decodeSparse(file.tensors, file.metadata, path);
}

/**
 * Same names, shapes and values (===: the sparse storage keeps no sign on zeros, which the model
 * cannot tell apart). Bitwise identity of the loaded weights is tested in state_dict.test.ts.
 */
function expectSameModelWeights(actual: TensorMap, expected: TensorMap): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [name, e] of expected) {
    const a = actual.get(name)!;
    expect(a.dtype, name).toBe("F32");
    expect(a.shape, name).toEqual(e.shape);
    const mismatch = e.data.findIndex((x, i) => x !== a.data[i]);
    expect(mismatch, `${name}: first differing element`).toBe(-1);
  }
}

/** A byte-level tokenizer with no merges: 256 byte tokens + <|endoftext|> = 257 tokens. */
function byteTokenizerDir(): string {
  const dir = tempDir();
  saveTokenizer(dir, Tokenizer.fromMerges([]));
  return dir;
}

describe("convertReferenceModel", () => {
  test("shared fixture → config.json (GPTConfig names) + model.safetensors equal to the parity weights", () => {
    const out = join(tempDir(), "converted");
    const r = convertReferenceModel({ from: SHARED_PT_DIR, out });
    expect(readdirSync(out).sort()).toEqual(["config.json", "model.safetensors"]);
    const cfg = JSON.parse(readFileSync(join(out, "config.json"), "utf8")) as Record<string, unknown>;
    expect(cfg.d_mlp).toBe(128);
    expect(cfg.sink).toBe(true);
    for (const key of ["n_mlp", "pfrac", "n_embd", "expansion_factor"]) expect(cfg).not.toHaveProperty(key);
    expectSameModelWeights(readCheckpointWeights(out), readSafetensors(PARITY_WEIGHTS).tensors);
    expect(r.tensors.length).toBe(28);
    // The converted directory is a checkpoint the model loader accepts.
    expect(loadModel(out).config.n_layer).toBe(2);
  });

  test("summary counts: numel from shapes, nonzeros as torch counted them", () => {
    const dir = fixture("tiny-mask");
    const r = convertReferenceModel({ from: dir, out: join(tempDir(), "tiny") });
    const expected = expectedTensors(join(dir, "expected.json"));
    const fc = r.tensors.find((t) => t.name === "transformer.h.0.mlp.c_fc.weight")!;
    expect(fc.shape).toEqual([8, 4]);
    expect(fc.numel).toBe(32);
    expect(fc.nonzeros).toBe(
      expected["transformer.h.0.mlp.c_fc.weight"].values.filter((x) => x !== 0).length,
    );
    expect(fc.nonzeros).toBeLessThan(32); // make.py zeroes ~70% of c_fc
    expect(r.tensors.find((t) => t.name === "final_logits_bias")!.nonzeros).toBe(0);
    // Hand count for tiny-mask (V=8, C=4, T=4, D=4, M=8): 64+8+32+16 + 4+48+12+16+4 + 4+32+8+32+4 + 4+32.
    expect(r.totalNumel).toBe(120 + 84 + 80 + 36);
    expect(r.totalNonzeros).toBe(r.tensors.reduce((s, t) => s + t.nonzeros, 0));
    const text = formatConvertSummary("OUT", r);
    expect(text).toMatch(/transformer\.h\.0\.mlp\.c_fc\.weight\s+\[8, 4\]\s+\d+\s+\d+\.\d{3}%/);
    expect(text).toMatch(/final_logits_bias\s+\[8\]\s+0\s+0\.000%/);
    expect(text).toContain("note: final_logits_bias missing: filled with zeros");
    expect(text).toContain(
      "note: beeg_config.json keys with no effect on the model: pfrac, expansion_factor",
    );
    expect(text.trimEnd().split("\n").at(-1)).toBe("wrote OUT (16 tensors)");
  });

  test("--tokenizer: validated and copied byte for byte into <out>/tokenizer/", () => {
    const tok = byteTokenizerDir();
    const out = join(tempDir(), "tied");
    const r = convertReferenceModel({ from: fixture("tiny-tied"), out, tokenizer: tok });
    expect(r.tokenizerVocabSize).toBe(257);
    for (const f of ["vocab.bpe", "encoder.json"]) {
      expect(readFileSync(join(out, "tokenizer", f)).equals(readFileSync(join(tok, f)))).toBe(true);
    }
  });

  describe("on error nothing is written", () => {
    const leftovers = (parent: string) => readdirSync(parent);

    test("a tokenizer larger than the model's vocabulary", () => {
      const parent = tempDir();
      const out = join(parent, "out");
      const tok = byteTokenizerDir();
      const e = cspError(() => convertReferenceModel({ from: SHARED_PT_DIR, out, tokenizer: tok }));
      expect(e.message).toBe(`${tok}: tokenizer has 257 tokens, more than the model's vocab_size 96`);
      expect(leftovers(parent)).toEqual([]);
    });

    test("a tokenizer directory without its files", () => {
      const parent = tempDir();
      const e = cspError(() =>
        convertReferenceModel({ from: SHARED_PT_DIR, out: join(parent, "out"), tokenizer: tempDir() }),
      );
      expect(e.message).toContain("vocab.bpe: missing");
      expect(leftovers(parent)).toEqual([]);
    });

    test("a config that contradicts the weights", () => {
      const from = tempDir();
      const cfg = JSON.parse(readFileSync(join(SHARED_PT_DIR, "beeg_config.json"), "utf8")) as Record<
        string,
        unknown
      >;
      writeFileSync(join(from, "beeg_config.json"), JSON.stringify({ ...cfg, n_layer: 3 }));
      writeFileSync(join(from, "final_model.pt"), readFileSync(join(SHARED_PT_DIR, "final_model.pt")));
      const parent = tempDir();
      cspError(() => convertReferenceModel({ from, out: join(parent, "out") }));
      expect(leftovers(parent)).toEqual([]);
    });

    test("an output directory that holds something else is refused and left alone", () => {
      const out = tempDir();
      writeFileSync(join(out, "notes.txt"), "mine");
      const e = cspError(() => convertReferenceModel({ from: SHARED_PT_DIR, out }));
      expect(e.message).toBe(
        `${out}: directory exists and is not a checkpoint (no config.json); choose a new output directory`,
      );
      expect(readdirSync(out)).toEqual(["notes.txt"]);
    });
  });

  test("an earlier checkpoint or an empty directory may be replaced", () => {
    const out = join(tempDir(), "ckpt");
    mkdirSync(out);
    convertReferenceModel({ from: fixture("tiny-tied"), out });
    convertReferenceModel({ from: SHARED_PT_DIR, out });
    expect(readCheckpointWeights(out).get("transformer.wte.weight")!.shape).toEqual([96, 32]);
    expect(existsSync(join(out, "tokenizer"))).toBe(false);
  });
});
