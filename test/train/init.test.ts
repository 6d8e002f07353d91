import { describe, expect, test } from "vitest";
import { DEFAULT_CONFIG, type GPTConfig } from "../../src/model/config.js";
import { initParams, sinusoidalTable } from "../../src/train/init.js";

const CONFIG: GPTConfig = {
  ...DEFAULT_CONFIG,
  vocab_size: 300,
  block_size: 64,
  n_layer: 4,
  n_head: 4,
  d_head: 16,
  d_model: 64,
  d_mlp: 256,
  rms_norm: true,
  tied_unembed: false,
  enable_bigram_table: true,
  learnable_bigram_table: true,
  sink: true,
};

function stats(a: Float32Array): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let s2 = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of a) {
    s += x;
    s2 += x * x;
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  const mean = s / a.length;
  return { mean, std: Math.sqrt(s2 / a.length - mean * mean), min, max };
}

describe("initParams (spec A.3 + train.py overrides)", () => {
  const params = initParams(CONFIG, 0);

  test("weights N(0, 0.02); c_proj N(0, 0.02/√(2·n_layer))", () => {
    for (const name of [
      "transformer.wte.weight",
      "lm_head.weight",
      "transformer.h.1.attn.c_attn.weight",
      "transformer.h.2.mlp.c_fc.weight",
    ]) {
      const s = stats(params.get(name)!.data);
      expect(Math.abs(s.mean)).toBeLessThan(0.002);
      expect(s.std).toBeGreaterThan(0.0188);
      expect(s.std).toBeLessThan(0.0212);
    }
    for (const name of ["transformer.h.0.attn.c_proj.weight", "transformer.h.3.mlp.c_proj.weight"]) {
      const s = stats(params.get(name)!.data);
      expect(s.std / (0.02 / Math.sqrt(8))).toBeGreaterThan(0.95);
      expect(s.std / (0.02 / Math.sqrt(8))).toBeLessThan(1.05);
    }
  });

  test("biases, sink logits, final_logits_bias and additive wpe are 0; norm gains 1", () => {
    for (const [name, t] of params) {
      if (/\.bias$|sink_logit$|^final_logits_bias$|wpe/.test(name))
        expect(
          t.data.every((x) => x === 0),
          name,
        ).toBe(true);
      if (/ln_\w+\.weight$/.test(name))
        expect(
          t.data.every((x) => x === 1),
          name,
        ).toBe(true);
    }
  });

  test("bigram table U[0, 0.02)", () => {
    const s = stats(params.get("bigram_table")!.data);
    expect(s.min).toBeGreaterThanOrEqual(0);
    expect(s.max).toBeLessThan(0.02);
    expect(s.mean).toBeCloseTo(0.01, 3);
  });

  test("same seed, same weights; another seed, other weights", () => {
    const again = initParams(CONFIG, 0);
    const other = initParams(CONFIG, 1);
    for (const [name, t] of params) {
      expect(Buffer.from(again.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
    }
    expect(other.get("transformer.wte.weight")!.data[0]).not.toBe(
      params.get("transformer.wte.weight")!.data[0],
    );
  });

  test("learned cat-pos wpe is drawn N(0, 0.02); sinusoidal cat-pos is the fixed table", () => {
    const cat = initParams({ ...CONFIG, d_pos_emb: 8 }, 0).get("transformer.wpe.weight")!.data;
    expect(stats(cat).std).toBeGreaterThan(0.015);
    const sin = initParams({ ...CONFIG, d_pos_emb: 8, sinusoidal_cat_pos_emb: true }, 0).get(
      "transformer.wpe.weight",
    )!.data;
    // d = 8 → 4 periods log-spaced 4 .. 64: 4, 8, 16, 32... (10^linspace(log10 4, log10 64, 4))
    // position 1, period 4: sin(2π/4) = 1, cos = 0; period 64: sin(2π/64)
    expect(sin[8 + 0]).toBeCloseTo(1, 6);
    expect(sin[8 + 4]).toBeCloseTo(0, 6);
    expect(sin[8 + 3]).toBeCloseTo(Math.sin((2 * Math.PI) / 64), 6);
    expect(sin[8 + 1]).toBeCloseTo(Math.sin((2 * Math.PI) / (4 * 16 ** (1 / 3))), 6);
    expect(sin[0 + 4]).toBe(1); // position 0: cos 0
  });

  test("an odd sinusoid width is zero-padded", () => {
    const out = new Float32Array(4 * 5);
    sinusoidalTable(4, 5, out);
    for (let pos = 0; pos < 4; pos++) expect(out[pos * 5 + 4]).toBe(0);
    expect(out[5 + 2]).toBeCloseTo(Math.cos((2 * Math.PI) / 4), 6);
  });
});
