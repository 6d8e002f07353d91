import { describe, expect, test } from "vitest";
import type { Backend } from "../../src/backend/backend.js";
import { loadNativeBackend } from "../../src/backend/native.js";
import { tsBackend } from "../../src/backend/ts/index.js";
import { DEFAULT_CONFIG, type GPTConfig } from "../../src/model/config.js";
import { adamStep } from "../../src/train/adam.js";
import { globalNorm, normalizeGradRms } from "../../src/train/grad_norm.js";
import { initModel } from "../../src/train/init.js";
import { createLearner, projectToBudget, type Learner } from "../../src/train/step.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../../src/train/train_config.js";
import { decayWeights } from "../../src/train/weight_decay.js";
import { rng } from "../helpers/random.js";

/**
 * The optimizer half of a training step (gradient RMS normalisation, Adam, top-k projection with
 * min-alive, weight decay) on the native backend against the TypeScript one, from the same model and
 * the same gradients: parameters and moments must agree bit for bit after every step. Only the
 * gradient norm may differ (native sums in another fixed order), so both divide by the oracle's.
 */

// c_fc [1024, 128] and the embeddings [1024, 128] are large enough for the native projection's
// sampled threshold bracket; c_proj exercises min-alive on columns.
const MODEL: GPTConfig = {
  ...DEFAULT_CONFIG,
  vocab_size: 1024,
  block_size: 16,
  n_layer: 1,
  n_head: 4,
  d_head: 32,
  d_model: 128,
  d_mlp: 1024,
  rms_norm: true,
  tied_unembed: false,
  enable_bigram_table: false,
  afrac: null,
};

const TRAIN: TrainConfig = {
  ...DEFAULT_TRAIN_CONFIG,
  total_steps: 8,
  global_bs: 2,
  n_ctx: 16,
  lr: 0.02,
  pfrac: 1 / 4,
  expansion_factor: 2,
  expansion_factor_mlp: 2,
  sparse_biases: true,
  weight_decay: 0.1,
};

const native = loadNativeBackend().backend;

function bitsDiffer(a: Float32Array, b: Float32Array): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

/** Gradients for every trained tensor, the same for a given seed: mostly small, a few large. */
function gradients(learner: Learner, seed: number): Float32Array[] {
  const r = rng(seed);
  return [...learner.trained.values()].map((p) =>
    Float32Array.from(p, () => (r() - 0.5) * (r() < 0.01 ? 30 : 0.01)),
  );
}

function optimizerStep(
  learner: Learner,
  be: Backend,
  step: number,
  grads: Float32Array[],
  divisor: number,
): void {
  be.divideInPlace(grads, divisor);
  const names = [...learner.trained.keys()];
  const lr = TRAIN.lr * (1 - step / (TRAIN.total_steps + 1));
  adamStep(
    learner.trained,
    new Map(names.map((n, i) => [n, grads[i]])),
    learner.adam,
    { lr, beta1: TRAIN.adam_betas[0], beta2: TRAIN.adam_betas[1], eps: TRAIN.adam_eps },
    be,
  );
  // A falling kept fraction, as the anneal does: each step prunes some more.
  projectToBudget(learner, 1 - (step + 1) / TRAIN.total_steps, be);
  decayWeights(learner.decayed, TRAIN.weight_decay, lr, be);
}

describe.runIf(native)("optimizer step: native backend against the TypeScript oracle", () => {
  test("parameters and Adam moments agree bit for bit over several steps", () => {
    const ts = createLearner(initModel(MODEL, 11), TRAIN);
    const nat = createLearner(initModel(MODEL, 11), TRAIN);
    expect(ts.plan.some((t) => t.minAlive?.axis === "cols")).toBe(true);
    expect(ts.plan.some((t) => t.minAlive?.axis === "rows" && t.rows * t.cols >= 131072)).toBe(true);
    for (let step = 0; step < TRAIN.total_steps - 1; step++) {
      const gTs = gradients(ts, 100 + step);
      const gNat = gTs.map((g) => g.slice());
      const count = gTs.reduce((s, g) => s + g.length, 0);
      const normTs = globalNorm(gTs, tsBackend);
      const normNat = globalNorm(gNat, native!);
      expect(Math.abs(normNat - normTs) / normTs, `norm at step ${step}`).toBeLessThan(1e-12);
      const divisor = normTs / Math.sqrt(count) + TRAIN.grad_rms_eps;
      optimizerStep(ts, tsBackend, step, gTs, divisor);
      optimizerStep(nat, native!, step, gNat, divisor);
      for (const name of ts.trained.keys()) {
        const what = `${name} after step ${step}`;
        expect(bitsDiffer(nat.trained.get(name)!, ts.trained.get(name)!), what).toBe(-1);
        expect(bitsDiffer(nat.adam.m.get(name)!, ts.adam.m.get(name)!), `m of ${what}`).toBe(-1);
        expect(bitsDiffer(nat.adam.v.get(name)!, ts.adam.v.get(name)!), `v of ${what}`).toBe(-1);
      }
    }
    // The projection did prune: the last budget keeps 1/8 of c_fc.
    const fc = nat.trained.get("transformer.h.0.mlp.c_fc.weight")!;
    expect(fc.filter((x) => x !== 0).length).toBeLessThan(fc.length / 4);
  });

  test("normalizeGradRms divides by the same divisor to 1e-12 and returns the norm", () => {
    const learner = createLearner(initModel(MODEL, 2), TRAIN);
    const a = gradients(learner, 5);
    const b = a.map((g) => g.slice());
    const rTs = normalizeGradRms(a, 1e-5, tsBackend);
    const rNat = normalizeGradRms(b, 1e-5, native!);
    expect(Math.abs(rNat.divisor - rTs.divisor) / rTs.divisor).toBeLessThan(1e-12);
    expect(Math.abs(rNat.norm - rTs.norm) / rTs.norm).toBeLessThan(1e-12);
    // RMS after normalisation ≈ 1 (the eps is negligible here).
    const count = b.reduce((s, g) => s + g.length, 0);
    expect(globalNorm(b, native!) / Math.sqrt(count)).toBeCloseTo(1, 4);
  });
});
