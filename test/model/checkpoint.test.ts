import { describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readSafetensors, writeSafetensors } from "../../src/io/safetensors.js";
import { loadModel, saveModel } from "../../src/model/checkpoint.js";
import { parityDir } from "../helpers/fixtures.js";

describe("checkpoint directories", () => {
  it("save → load gives back every tensor bit for bit, sparse matrices stored as (indices, values)", () => {
    const original = loadModel(parityDir("sink-afrac"));
    const dir = join(mkdtempSync(join(tmpdir(), "csp-ckpt-")), "model");
    saveModel(dir, original, { train: { note: "kept" } });
    expect(readdirSync(dir).sort()).toEqual(["config.json", "model.safetensors"]);
    const file = readSafetensors(join(dir, "model.safetensors"));
    // c_attn weights of the fixture are ~75% zeros: stored sparsely; the bigram table is dense.
    expect(file.tensors.has("transformer.h.0.attn.c_attn.weight.indices")).toBe(true);
    expect(file.tensors.has("transformer.h.0.attn.c_attn.weight")).toBe(false);
    expect(file.tensors.has("bigram_table")).toBe(true);
    expect(file.metadata["sparse:transformer.h.0.attn.c_attn.weight"]).toBe("[96,32]");
    expect(statSync(join(dir, "model.safetensors")).size).toBeLessThan(
      statSync(join(parityDir("sink-afrac"), "model.safetensors")).size,
    );
    const back = loadModel(dir);
    expect([...back.params.keys()]).toEqual([...original.params.keys()]);
    // Bit for bit, except that -0.0 (left by masking in the reference) comes back as +0.
    for (const [name, t] of original.params)
      expect(back.params.get(name)!.data, name).toEqual(t.data.map((v) => v + 0));
  });

  it("replaces an existing checkpoint atomically and leaves no temporary directory", () => {
    const model = loadModel(parityDir("dense-plain"));
    const parent = mkdtempSync(join(tmpdir(), "csp-ckpt-"));
    const dir = join(parent, "m");
    saveModel(dir, model);
    saveModel(dir, model);
    expect(readdirSync(parent)).toEqual(["m"]);
  });

  it("refuses a sparse entry whose indices run outside the shape", () => {
    const dir = mkdtempSync(join(tmpdir(), "csp-ckpt-"));
    writeFileSync(
      join(dir, "config.json"),
      JSON.stringify({
        block_size: 4,
        vocab_size: 4,
        n_layer: 0,
        n_head: 1,
        d_model: 2,
        tied_unembed: false,
        rms_norm: true,
      }),
    );
    writeSafetensors(
      join(dir, "model.safetensors"),
      new Map([
        ["transformer.wte.weight.indices", { dtype: "I32", shape: [1], data: new Int32Array([8]) }],
        ["transformer.wte.weight.values", { dtype: "F32", shape: [1], data: new Float32Array([1]) }],
      ]),
      { "sparse:transformer.wte.weight": "[4,2]" },
    );
    expect(() => loadModel(dir)).toThrow(
      /model\.safetensors: sparse tensor "transformer\.wte\.weight": index 8 is out of order or outside \[4, 2\]/,
    );
    expect(existsSync(join(dir, "config.json"))).toBe(true);
  });
});
