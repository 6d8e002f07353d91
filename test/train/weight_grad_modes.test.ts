import { describe, expect, test } from "vitest";
import type { GPTConfig } from "../../src/model/config.js";
import { initModel } from "../../src/train/init.js";
import { Rng } from "../../src/random/rng.js";
import { createLearner, trainStep } from "../../src/train/step.js";
import { TINY_MODEL } from "./tiny_model.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../../src/train/train_config.js";

/** Weights sparse enough (1/4 kept after the anneal) that the engine takes its sparse path. */
const MODEL: GPTConfig = {
  ...TINY_MODEL,
};

const TRAIN: TrainConfig = {
  ...DEFAULT_TRAIN_CONFIG,
  total_steps: 60,
  global_bs: 4,
  n_ctx: 16,
  lr: 0.05,
  pfrac: 1,
  expansion_factor: 2,
  expansion_factor_mlp: 2,
  pfrac_anneal_start_frac: 0,
  pfrac_anneal_stop_frac: 0.25,
};

const MATRIX = "transformer.h.1.mlp.c_fc.weight";

function support(w: Float32Array): Set<number> {
  const s = new Set<number>();
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) s.add(i);
  return s;
}

function run(
  train: TrainConfig,
  onStep: (step: number, before: Set<number>, after: Set<number>) => void,
): void {
  const learner = createLearner(initModel(MODEL, 5), train);
  const rng = new Rng(9);
  const [b, t] = [train.global_bs, train.n_ctx];
  for (let step = 0; step <= train.total_steps; step++) {
    const tokens = Int32Array.from({ length: b * t }, () => rng.int(MODEL.vocab_size));
    const before = support(learner.model.params.get(MATRIX)!.data);
    const rec = trainStep(learner, step, { tokens, b, t });
    expect(Number.isFinite(rec.loss)).toBe(true);
    onStep(step, before, support(learner.model.params.get(MATRIX)!.data));
  }
}

describe("weight-gradient modes", () => {
  /** Weights that re-enter the top-k after the anneal has ended, over the whole run. */
  function regrowth(train: TrainConfig): number {
    let total = 0;
    run(train, (step, before, after) => {
      if (step <= 20) return;
      expect(after.size, `step ${step}: the count stays exact`).toBe(before.size);
      total += [...after].filter((i) => !before.has(i)).length;
    });
    return total;
  }

  test("exact mode lets pruned weights re-enter; fast mode (masked gradient) less, with exact counts", () => {
    const exact = regrowth(TRAIN);
    // Fast mode: pruned weights get gradient only on refresh steps (plus decaying Adam momentum).
    const fast = regrowth({ ...TRAIN, weight_grad_mode: "fast", dense_grad_every: 1000 });
    expect(exact).toBeGreaterThan(0);
    expect(fast, `fast ${fast} vs exact ${exact}`).toBeLessThan(exact);
  });

  for (const mode of ["exact", "fast"] as const) {
    test(`${mode} mode keeps every pruned matrix at exactly its scheduled nonzero count, every step`, () => {
      const train: TrainConfig = { ...TRAIN, total_steps: 24, weight_grad_mode: mode, dense_grad_every: 5 };
      const learner = createLearner(initModel(MODEL, 6), train);
      expect(learner.plan.length).toBeGreaterThan(4);
      const rng = new Rng(10);
      const [b, t] = [train.global_bs, train.n_ctx];
      for (let step = 0; step <= train.total_steps; step++) {
        const tokens = Int32Array.from({ length: b * t }, () => rng.int(MODEL.vocab_size));
        const rec = trainStep(learner, step, { tokens, b, t });
        for (const target of learner.plan) {
          const k = rec.keep.get(target.name)!.k;
          const nnz = support(learner.model.params.get(target.name)!.data as Float32Array).size;
          // Weight matrices start dense (random init): exactly k survive. Other pruned tensors (the
          // positional table) may hold zeros of their own, so only the bound applies to them.
          if (/\.weight$/.test(target.name) && target.name !== "transformer.wpe.weight")
            expect(nnz, `step ${step} ${target.name}`).toBe(Math.min(k, target.rows * target.cols));
          else expect(nnz, `step ${step} ${target.name}`).toBeLessThanOrEqual(k);
        }
      }
      // The anneal reached its target: the last budgets are the final ones (c_fc keeps 1/4).
      const fc = learner.model.params.get(MATRIX)!.data as Float32Array;
      expect(support(fc).size).toBe(fc.length / 4);
    });
  }
});
