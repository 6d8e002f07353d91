import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { readSafetensors } from "../../src/io/safetensors.js";
import { loadReferenceModelDir } from "../../src/model/reference_model.js";
import {
  cspError,
  expectBitwiseEqual,
  expectedTensors,
  expectSameValues,
  fixture,
  PARITY_WEIGHTS,
  SHARED_PT_DIR,
  tempDir,
} from "../io/torch/helpers.js";

/** A copy of a reference model dir with `edit` applied to its beeg_config.json. */
function editedModelDir(source: string, edit: (cfg: Record<string, unknown>) => void): string {
  const dir = tempDir();
  const cfg = JSON.parse(readFileSync(join(source, "beeg_config.json"), "utf8")) as Record<string, unknown>;
  edit(cfg);
  writeFileSync(join(dir, "beeg_config.json"), JSON.stringify(cfg));
  copyFileSync(join(source, "final_model.pt"), join(dir, "final_model.pt"));
  return dir;
}

describe("loadReferenceModelDir", () => {
  test("the shared sink-afrac model: parity weights, config with n_mlp → d_mlp, training keys reported", () => {
    const m = loadReferenceModelDir(SHARED_PT_DIR);
    expectBitwiseEqual(m.tensors, readSafetensors(PARITY_WEIGHTS).tensors);
    expect(m.config.d_mlp).toBe(128);
    expect(m.config.sink).toBe(true);
    expect(m.config.afrac).toBe(0.25);
    expect(m.ignoredKeys.sort()).toEqual(
      [
        "afrac_approx",
        "expansion_factor",
        "expansion_factor_mlp",
        "n_embd",
        "pfrac",
        "sparse_matmul_impl",
      ].sort(),
    );
    expect(m.adjustments).toEqual([]);
  });

  test("missing final_logits_bias → zeros; causal masks dropped; bigram buffer kept; tensors in model order", () => {
    const dir = fixture("tiny-mask");
    const m = loadReferenceModelDir(dir);
    const p = "transformer.h.0";
    expect([...m.tensors.keys()]).toEqual([
      "bigram_table",
      "final_logits_bias",
      "transformer.wte.weight",
      "transformer.wpe.weight",
      `${p}.ln_1.weight`,
      `${p}.attn.c_attn.weight`,
      `${p}.attn.c_attn.bias`,
      `${p}.attn.c_proj.weight`,
      `${p}.attn.c_proj.bias`,
      `${p}.ln_2.weight`,
      `${p}.mlp.c_fc.weight`,
      `${p}.mlp.c_fc.bias`,
      `${p}.mlp.c_proj.weight`,
      `${p}.mlp.c_proj.bias`,
      "transformer.ln_f.weight",
      "lm_head.weight",
    ]);
    const flb = m.tensors.get("final_logits_bias")!;
    expect(flb.shape).toEqual([8]);
    expectSameValues(flb.data, new Array(8).fill(0), "final_logits_bias");
    const expected = expectedTensors(join(dir, "expected.json"));
    for (const [name, t] of m.tensors) {
      if (name === "final_logits_bias") continue;
      expect(t.dtype).toBe("F32");
      expect(t.shape, name).toEqual(expected[name].shape);
      expectSameValues(t.data, expected[name].values, name);
    }
    expect(m.adjustments).toEqual([
      "dropped 1 causal-mask buffer(s) (transformer.h.*.attn.bias)",
      "final_logits_bias missing: filled with zeros",
    ]);
  });

  test("tied unembedding: lm_head.weight (same storage as wte) is dropped", () => {
    const m = loadReferenceModelDir(fixture("tiny-tied"));
    expect(m.tensors.has("lm_head.weight")).toBe(false);
    expect(m.tensors.get("transformer.wte.weight")!.shape).toEqual([300, 4]);
    expect(m.adjustments).toContain("dropped lm_head.weight (tied to transformer.wte.weight)");
  });

  test("a sinusoidal cat-pos model without its fixed table gets the table gpt.py computes", () => {
    const dir = fixture("tiny-sincat");
    const m = loadReferenceModelDir(dir);
    const expected = expectedTensors(join(dir, "expected.json"));
    expect(m.tensors.get("transformer.h.0.attn.c_attn.weight")!.shape).toEqual([12, 8]); // d_model 4 + d_pos_emb 4
    expect(m.tensors.has("transformer.h.0.ln_p1.weight")).toBe(true);
    const wpe = m.tensors.get("transformer.wpe.weight")!;
    expect(wpe.shape).toEqual([8, 4]);
    // make.py computed the table in float64 then stored fp32; ours is computed in double and stored fp32.
    expectSameValues(wpe.data, expected["transformer.wpe.weight"].values, "wpe");
    expect(m.adjustments).toContain("transformer.wpe.weight missing: filled with the fixed sinusoidal table");
  });

  describe("a config that contradicts the weights names the file and the tensor", () => {
    const cases: [string, (c: Record<string, unknown>) => void, (pt: string, cfg: string) => string][] = [
      [
        "d_mlp too large",
        (c) => (c.n_mlp = 256),
        (pt, cfg) =>
          `${pt}: tensor "transformer.h.0.mlp.c_fc.weight" has shape [128, 32], but ${cfg} implies [256, 32]`,
      ],
      [
        "block_size differs",
        (c) => (c.block_size = 32),
        (pt, cfg) => `${pt}: tensor "transformer.wpe.weight" has shape [16, 32], but ${cfg} implies [32, 32]`,
      ],
      [
        "one layer more",
        (c) => (c.n_layer = 3),
        (pt, cfg) => `${pt}: missing tensor "transformer.h.2.ln_1.weight" [32], which ${cfg} requires`,
      ],
      [
        "one layer fewer",
        (c) => (c.n_layer = 1),
        (pt, cfg) =>
          `${pt}: unexpected tensor "transformer.h.1.ln_1.weight" [32], not part of the model ${cfg} describes`,
      ],
      [
        "no sink",
        (c) => (c.sink = false),
        (pt, cfg) =>
          `${pt}: unexpected tensor "transformer.h.0.attn.attn_imp.sink_logit" [4], not part of the model ${cfg} describes`,
      ],
      [
        "no bigram table",
        (c) => ((c.enable_bigram_table = false), (c.learnable_bigram_table = false)),
        (pt, cfg) =>
          `${pt}: unexpected tensor "bigram_table" [96, 96], not part of the model ${cfg} describes`,
      ],
      [
        "sink without the flash path",
        (c) => (c.flash = false),
        (_pt, cfg) => `${cfg}: sink=true requires flash=true`,
      ],
    ];
    for (const [label, edit, message] of cases) {
      test(label, () => {
        const dir = editedModelDir(SHARED_PT_DIR, edit);
        const e = cspError(() => loadReferenceModelDir(dir));
        expect(e.message).toContain(message(join(dir, "final_model.pt"), join(dir, "beeg_config.json")));
      });
    }
  });

  test("a causal mask of another size is an unexpected tensor, not silently dropped", () => {
    const dir = editedModelDir(fixture("tiny-mask"), (c) => (c.block_size = 8));
    expect(cspError(() => loadReferenceModelDir(dir)).message).toBe(
      `${join(dir, "final_model.pt")}: unexpected tensor "transformer.h.0.attn.bias" [1, 1, 4, 4], not part of the model ${join(dir, "beeg_config.json")} describes`,
    );
  });

  test("missing or malformed files are named", () => {
    const empty = tempDir();
    expect(cspError(() => loadReferenceModelDir(empty)).message).toBe(
      `${join(empty, "beeg_config.json")}: cannot read (ENOENT)`,
    );
    writeFileSync(join(empty, "beeg_config.json"), "{not json");
    expect(cspError(() => loadReferenceModelDir(empty)).message).toMatch(
      new RegExp(`^${join(empty, "beeg_config.json")}: not valid JSON`),
    );
    copyFileSync(join(SHARED_PT_DIR, "beeg_config.json"), join(empty, "beeg_config.json"));
    expect(cspError(() => loadReferenceModelDir(empty)).message).toBe(
      `${join(empty, "final_model.pt")}: cannot open (ENOENT)`,
    );
  });
});
