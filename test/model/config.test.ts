import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { modelDims, parseConfig, topkCount } from "../../src/model/config.js";
import { parameterSpecs } from "../../src/model/params.js";
import { FIXTURES } from "../helpers/fixtures.js";

describe("GPTConfig", () => {
  it("reads a released beeg_config.json: unknown keys reported, n_mlp is d_mlp", () => {
    const path = join(FIXTURES, "torch-pt/sink-afrac/beeg_config.json");
    const { config, ignoredKeys } = parseConfig(JSON.parse(readFileSync(path, "utf8")), path);
    expect(config.d_mlp).toBe(128);
    expect(ignoredKeys.sort()).toEqual([
      "afrac_approx",
      "expansion_factor",
      "expansion_factor_mlp",
      "n_embd",
      "pfrac",
      "sparse_matmul_impl",
    ]);
    expect(config.sink).toBe(true);
  });

  it("takes the reference defaults for missing fields", () => {
    const { config } = parseConfig({}, "c.json");
    expect(config.d_model).toBe(768);
    expect(config.tied_unembed).toBe(true);
    expect(config.rms_norm).toBe(false);
    const d = modelDims(config);
    expect(d.dHead).toBe(64);
    expect(d.dMlp).toBe(3072);
  });

  it("lets d_head differ from d_model / n_head", () => {
    const { config } = parseConfig({ d_model: 64, n_head: 4, d_head: 8 }, "c.json");
    const d = modelDims(config);
    expect(d.dAttn).toBe(32);
    const specs = parameterSpecs(config, d);
    expect(specs.find((s) => s.name === "transformer.h.0.attn.c_attn.weight")!.shape).toEqual([96, 64]);
    expect(specs.find((s) => s.name === "transformer.h.0.attn.c_proj.weight")!.shape).toEqual([64, 32]);
  });

  it("gives the csp_yolo2 shapes and AbsTopK counts of the reference", () => {
    const { config } = parseConfig(
      {
        n_layer: 8,
        d_model: 2048,
        n_head: 128,
        d_head: 16,
        n_mlp: 8192,
        d_pos_emb: 32,
        sink: true,
        afrac: 0.25,
        afrac_loctypes: "attn_in,attn_out,mlp_in,mlp_out,mlp_neuron,attn_v,attn_k,attn_q",
        vocab_size: 2048,
        enable_bigram_table: true,
        learnable_bigram_table: true,
        tied_unembed: false,
        rms_norm: true,
      },
      "yolo2",
    );
    const d = modelDims(config);
    const specs = parameterSpecs(config, d);
    const total = specs.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
    // Spec B.3: about 418.9M tensors in all (419.1M on the HF card, which counts wpe in full).
    expect(total).toBeGreaterThan(418.8e6);
    expect(total).toBeLessThan(419.2e6);
    expect(topkCount(0.25, d.dModelIn)).toBe(520);
    expect(topkCount(0.25, d.dAttn)).toBe(512);
    expect(topkCount(0.25, d.dMlp)).toBe(2048);
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ["d_model not divisible by n_head", { d_model: 10, n_head: 3 }, /not divisible/],
    ["sink without flash", { sink: true, flash: false }, /sink=true requires flash=true/],
    ["n_mlp and d_mlp disagree", { n_mlp: 8, d_mlp: 16 }, /n_mlp \(8\) and d_mlp \(16\) disagree/],
    ["afrac out of range", { afrac: 1.5 }, /afrac must be in/],
    ["unknown loctype", { afrac: 0.5, afrac_loctypes: "attn_in,banana" }, /unknown location "banana"/],
    ["wrong type", { n_layer: "two" }, /n_layer must be int/],
    [
      "learnable bigram without a bigram table",
      { learnable_bigram_table: true },
      /requires enable_bigram_table/,
    ],
    ["not an object", [] as unknown as Record<string, unknown>, /not a JSON object/],
  ];
  for (const [what, raw, message] of bad) {
    it(`refuses ${what}, naming the file`, () => {
      expect(() => parseConfig(raw, "my/config.json")).toThrow(/^my\/config\.json: /);
      expect(() => parseConfig(raw, "my/config.json")).toThrow(message);
    });
  }
});
