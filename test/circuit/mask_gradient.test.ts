import { beforeAll, describe, expect, it } from "vitest";
import { setBackend } from "../../src/backend/index.js";
import { constantBaselines, maskIntervention } from "../../src/circuit/ablation.js";
import { frozenModel, maskedLossGradient, maskedLosses } from "../../src/circuit/masked_run.js";
import { nodeLayout } from "../../src/circuit/nodes.js";
import { heaviside, heavisideSurrogate } from "../../src/prune/surrogate.js";
import { groupByLength, type TaskSequence } from "../../src/circuit/task_data.js";
import { sigmoid } from "../../src/circuit/task_loss.js";
import { Tensor, type FloatArray } from "../../src/tensor/tensor.js";
import type { Model } from "../../src/model/model.js";
import { randomModel, randomTokens, testConfig } from "../helpers/models.js";
import { rng } from "../helpers/random.js";

describe("mask intervention", () => {
  const site = { name: "0.attn.q", layer: 0, sublayer: "attn" as const, width: 3, offset: 2 };
  const x = new Tensor(new Float64Array([1, 2, 3, 4, 5, 6]), [1, 2, 3]);
  const mu = new Float32Array([10, 20, 30]);

  it("keeps m = 1 channels, replaces m = 0 channels by μ, and blends in between", () => {
    const mask = new Float32Array([9, 9, 1, 0, 0.25]); // the site reads entries 2..4
    const out = maskIntervention(site, mask, { channel: mu }).forward(x.clone()).data;
    expect([...out]).toEqual([1, 20, 0.25 * 3 + 0.75 * 30, 4, 20, 0.25 * 6 + 0.75 * 30]);
  });

  it("passes m·dOut back and accumulates Σ dOut·(x − μ) per channel", () => {
    const mask = new Float32Array([0, 0, 1, 0, 0.5]);
    const dMask = new Float64Array(5);
    const iv = maskIntervention(site, mask, { channel: mu }, { dMask });
    const dOut = new Tensor(new Float64Array([1, -1, 2, 0.5, 3, -2]), [1, 2, 3]);
    const dx = iv.backward!(dOut, x).data;
    expect([...dx]).toEqual([1, -0, 1, 0.5, 0, -1]);
    // channel 0: 1·(1−10) + 0.5·(4−10); channel 1: −1·(2−20) + 3·(5−20); channel 2: 2·(3−30) − 2·(6−30)
    expect([...dMask]).toEqual([0, 0, -9 - 3, 18 - 45, -54 + 48]);
  });

  it("uses per-row replacement values for resample ablation", () => {
    const mask = new Float32Array([0, 0, 0, 1, 0]);
    const rows = new Float32Array([7, 8, 9, 17, 18, 19]);
    const out = maskIntervention(site, mask, { rows }).forward(x.clone()).data;
    expect([...out]).toEqual([7, 2, 9, 17, 5, 19]);
  });
});

const config = testConfig({ afrac: 0.5, afrac_loctypes: "attn_in,mlp_neuron,attn_k", sink: true });

/** A mean-ablation pruning context (means drawn from `meansSeed`) for a random model of `config`. */
function meanAblationContext(model: Model<FloatArray>, meansSeed: number) {
  const layout = nodeLayout(model.dims);
  const r = rng(meansSeed);
  const means = new Map(
    layout.sites.map((s) => [s.name, Float32Array.from({ length: s.width }, () => r() - 0.5)]),
  );
  return () => ({ model, frozen: frozenModel(model), layout, baselines: constantBaselines("mean", means) });
}

describe("mask gradients match finite differences (float64, ts backend)", () => {
  beforeAll(() => setBackend("ts"));
  const ctx = meanAblationContext(randomModel(config, 11, "f64"), 5)();
  const layout = ctx.layout;
  const seqs: TaskSequence[] = [4, 4, 6, 3].map((len, i) => ({
    ids: randomTokens(len, config.vocab_size, 20 + i),
    correct: i % config.vocab_size,
    alt: (i + 3) % config.vocab_size,
  }));
  const groups = groupByLength(seqs);
  const meanLoss = (mask: Float64Array) => {
    const { losses } = maskedLosses(ctx, groups, seqs.length, mask);
    return losses.reduce((a, b) => a + b, 0) / losses.length;
  };
  const coords = [0, 9, 13, 30, 45, 60, layout.total - 2];

  it("d loss / d m at a fractional mask", () => {
    const mask = Float64Array.from({ length: layout.total }, (_, i) => 0.25 + (0.5 * ((i * 7) % 3)) / 2);
    const dMask = new Float64Array(layout.total);
    maskedLossGradient(ctx, groups, mask, { dMask });
    const h = 1e-5;
    for (const i of coords) {
      const save = mask[i];
      mask[i] = save + h;
      const up = meanLoss(mask);
      mask[i] = save - h;
      const down = meanLoss(mask);
      mask[i] = save;
      const fd = (up - down) / (2 * h);
      expect(Math.abs(dMask[i] - fd)).toBeLessThan(1e-8 + 1e-5 * Math.abs(fd));
    }
    expect(coords.some((i) => Math.abs(dMask[i]) > 1e-4)).toBe(true);
  });

  it("d loss / d τ through the sigmoid surrogate equals the derivative of the sigmoid-relaxed loss", () => {
    // With m = σ(τ/T), the chain rule gives dL/dτ = dL/dm · σ'(τ/T)/T: the surrogate's formula.
    const T = 0.7;
    const tau = Float64Array.from({ length: layout.total }, (_, i) => ((i * 13) % 17) / 17 - 0.5);
    const relaxed = (t: Float64Array) => t.map((v) => sigmoid(v / T));
    const dMask = new Float64Array(layout.total);
    maskedLossGradient(ctx, groups, relaxed(tau), { dMask });
    const h = 1e-5;
    for (const i of coords) {
      const analytic = dMask[i] * heavisideSurrogate(tau[i], T);
      const save = tau[i];
      tau[i] = save + h;
      const up = meanLoss(relaxed(tau));
      tau[i] = save - h;
      const down = meanLoss(relaxed(tau));
      tau[i] = save;
      expect(Math.abs(analytic - (up - down) / (2 * h))).toBeLessThan(1e-8 + 1e-5 * Math.abs(analytic));
    }
  });

  it("uses Heaviside with H(0) = 1 forward and σ(τ/T)(1−σ(τ/T))/T backward", () => {
    expect([heaviside(-1e-9), heaviside(0), heaviside(0.3)]).toEqual([0, 1, 1]);
    expect(heavisideSurrogate(0, 1)).toBeCloseTo(0.25, 12);
    expect(heavisideSurrogate(0, 0.5)).toBeCloseTo(0.5, 12);
    const s = 1 / (1 + Math.exp(-2));
    expect(heavisideSurrogate(1, 0.5)).toBeCloseTo((s * (1 - s)) / 0.5, 12);
  });
});

describe("masked runs reuse a context's arrays (float32, native backend)", () => {
  beforeAll(() => setBackend("native"));
  // Each call is a new context object, so a new set of reused arrays.
  const context = meanAblationContext(randomModel(config, 12, "f32"), 6);
  const layout = context().layout;
  const r = rng(7);
  const seqs: TaskSequence[] = [6, 3, 6, 5, 3, 4].map((len, i) => ({
    ids: randomTokens(len, config.vocab_size, 40 + i),
    correct: i % config.vocab_size,
    alt: (i + 2) % config.vocab_size,
  }));
  // Batches of other lengths and sizes, in an order where later groups are both larger and smaller.
  const batches = [[0, 1, 2], [3, 4], [0, 1, 2, 3, 4, 5], [5]].map((b) => groupByLength(seqs, b));
  const masks = [0.3, 0.6, 0.9].map((p) =>
    Float32Array.from({ length: layout.total }, () => (r() < p ? 1 : 0)),
  );

  it("gives the losses and mask gradients of a fresh context, run after run", () => {
    const reused = context();
    for (const groups of batches) {
      for (const mask of masks) {
        const fresh = context();
        const want = new Float64Array(layout.total);
        const got = new Float64Array(layout.total);
        const lossWant = maskedLossGradient(fresh, groups, mask, { dMask: want });
        const lossGot = maskedLossGradient(reused, groups, mask, { dMask: got });
        expect(lossGot).toBe(lossWant);
        expect(Array.from(got)).toEqual(Array.from(want));
        const evalWant = maskedLosses(context(), groups, seqs.length, mask).losses;
        expect(Array.from(maskedLosses(reused, groups, seqs.length, mask).losses)).toEqual(
          Array.from(evalWant),
        );
      }
    }
  });
});
