import { describe, expect, it } from "vitest";
import { maskedLosses } from "../../src/circuit/masked_run.js";
import { groupByLength, shuffleLabels } from "../../src/circuit/task_data.js";
import { DEFAULT_MASK_TRAIN } from "../../src/prune/config.js";
import { masksFromTau } from "../../src/prune/surrogate.js";
import { trainMasks } from "../../src/prune/train_masks.js";
import { Rng } from "../../src/random/rng.js";
import { plantedSetup } from "./planted_setup.js";

describe("trainMasks' batches", () => {
  it("a step takes batch_pairs pairs (both sequences of each), not batch_pairs sequences", () => {
    const s = plantedSetup();
    // Pairs whose losses differ widely: the first half as generated (loss near 0), the rest with
    // shuffled labels (many wrong), so the mean over a part of the pairs is far from the mean over all.
    const half = 2 * Math.floor(s.train.length / 4);
    const seqs = [...s.train.slice(0, half), ...shuffleLabels(s.train, 1).slice(half)];
    const nPairs = seqs.length / 2;
    // With batch_pairs = every pair, step 0's batch is all of them in some order, so its logged loss is
    // the mean over every sequence with the initial masks, computed here directly.
    const cfg = { ...DEFAULT_MASK_TRAIN, steps: 1, batch_pairs: nPairs, seed: 7 };
    const { log } = trainMasks(s.ctx, seqs, cfg);
    const rng = new Rng(cfg.seed); // trainMasks' initial τ: the same draws in the same order
    const tau = new Float64Array(s.layout.total);
    for (let i = 0; i < tau.length; i++)
      tau[i] = Math.max(-1, Math.min(1, cfg.init_noise_bias + cfg.init_noise_scale * rng.normal()));
    const all = maskedLosses(s.ctx, groupByLength(seqs), seqs.length, masksFromTau(tau)).losses;
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    const firstHalf = all.slice(0, half).reduce((a, b) => a + b, 0) / half;
    expect(Math.abs(firstHalf - mean)).toBeGreaterThan(0.05); // the task tells a part from the whole
    expect(log[0]!.loss).toBeCloseTo(mean, 6);
  });
});
