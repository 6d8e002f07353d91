import { describe, expect, test } from "vitest";
import { adamStep, createAdamState } from "../../src/train/adam.js";
import { globalNorm, normalizeGradRms } from "../../src/train/grad_norm.js";
import { decayWeights } from "../../src/train/weight_decay.js";

describe("Adam (torch semantics, ε after the bias correction)", () => {
  test("two steps on one weight match the hand calculation", () => {
    // t=1: m=0.05, v=0.0125, p = 1 − (0.1/0.1)·0.05/(√0.0125/√0.05 + 0.1) = 1 − 0.05/0.6
    // t=2: m=−0.055, v=0.061875, p −= (0.1/0.19)·(−0.055)/(√0.061875/√0.0975 + 0.1)
    const params = new Map([["w", Float64Array.of(1)]]);
    const state = createAdamState(params);
    const h = { lr: 0.1, beta1: 0.9, beta2: 0.95, eps: 0.1 };
    adamStep(params, new Map([["w", Float64Array.of(0.5)]]), state, h);
    expect(params.get("w")![0]).toBeCloseTo(0.9166666666666666, 15);
    expect(state.m.get("w")![0]).toBeCloseTo(0.05, 15);
    expect(state.v.get("w")![0]).toBeCloseTo(0.0125, 15);
    adamStep(params, new Map([["w", Float64Array.of(-1)]]), state, h);
    expect(params.get("w")![0]).toBeCloseTo(0.9489513871342075, 14);
    expect(state.step).toBe(2);
  });

  test("lr 0 leaves parameters unchanged but still advances moments and the step count", () => {
    const params = new Map([["w", Float32Array.of(0.3, -0.7)]]);
    const state = createAdamState(params);
    adamStep(params, new Map([["w", Float32Array.of(1, 2)]]), state, {
      lr: 0,
      beta1: 0.9,
      beta2: 0.95,
      eps: 0.1,
    });
    expect(Array.from(params.get("w")!)).toEqual([Math.fround(0.3), Math.fround(-0.7)]);
    expect(state.step).toBe(1);
    expect(state.m.get("w")![1]).toBeCloseTo(0.2, 6);
  });

  test("a missing gradient is an error", () => {
    const params = new Map([["w", Float32Array.of(1)]]);
    expect(() =>
      adamStep(params, new Map(), createAdamState(params), { lr: 1, beta1: 0.9, beta2: 0.9, eps: 1 }),
    ).toThrow(/w/);
  });
});

describe("gradient RMS normalisation", () => {
  test("divides by ‖g‖/√N + eps over all tensors jointly", () => {
    // ‖(3, 4, 0, 0)‖ = 5, N = 4 → rms = 2.5; divisor 2.5 + 0.5
    const a = Float64Array.of(3, 4);
    const b = Float64Array.of(0, 0);
    const r = normalizeGradRms([a, b], 0.5);
    expect(r.norm).toBe(5);
    expect(r.divisor).toBe(3);
    expect(Array.from(a)).toEqual([1, 4 / 3]);
  });

  test("scales small gradients up to RMS ≈ 1 (it is not a clip)", () => {
    const g = Float64Array.of(1e-3, -1e-3, 1e-3, -1e-3);
    normalizeGradRms([g], 1e-5);
    expect(globalNorm([g]) / 2).toBeCloseTo(1 / (1 + 1e-5 / 1e-3), 12);
  });
});

describe("decoupled weight decay", () => {
  test("p ← p − (wd·lr)·p, zeros stay zero", () => {
    const p = Float64Array.of(2, 0, -4);
    decayWeights([p], 0.1, 0.5);
    expect(Array.from(p)).toEqual([2 - 0.05 * 2, 0, -4 + 0.05 * 4]);
  });
});
