import { describe, expect, test } from "vitest";
import {
  baseLearningRate,
  keepCount,
  l0Fraction,
  learningRateAt,
  pfracAt,
  warmupSteps,
} from "../../src/train/schedule.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../../src/train/train_config.js";

/** The fixture run: S = 100, lr 0.0128, warmup 1%, pfrac 1 annealed from ef² = 4 over steps 1..50, ef = efm = 2. */
const FIXTURE: TrainConfig = {
  ...DEFAULT_TRAIN_CONFIG,
  total_steps: 100,
  lr: 0.0128,
  pfrac: 1,
  expansion_factor: 2,
  expansion_factor_mlp: 2,
};

describe("learning rate (train.py: warmup, linear decay, sharkfin)", () => {
  test("warmup W = int(0.01·S)", () => {
    expect(warmupSteps(FIXTURE)).toBe(1);
    expect(warmupSteps({ ...FIXTURE, total_steps: 244_140 })).toBe(2441);
    expect(warmupSteps({ ...FIXTURE, lr_warmup_frac: null })).toBe(0);
  });

  test("values derived by hand at chosen steps", () => {
    // step 0: warmup, lr·0/W = 0
    expect(learningRateAt(0, FIXTURE)).toBe(0);
    // step 1: decay factor 1 − 0/99 = 1; pfrac still 4 (anneal starts at step 1): × sqrt(1/4)
    expect(learningRateAt(1, FIXTURE)).toBeCloseTo(0.0064, 15);
    // step 2: (1 − 1/99) = 98/99; pfrac = 4 − 3·(1/49)
    expect(learningRateAt(2, FIXTURE)).toBeCloseTo((0.0128 * 98) / 99 / Math.sqrt(4 - 3 / 49), 15);
    // step 50: anneal done (factor 1); decay 1 − 49/99 = 50/99
    expect(learningRateAt(50, FIXTURE)).toBeCloseTo((0.0128 * 50) / 99, 15);
    // step 100 = S: the decay reaches 0
    expect(learningRateAt(100, FIXTURE)).toBe(0);
    // the fixture README's table, 6 significant digits
    expect(learningRateAt(25, FIXTURE)).toBeCloseTo(0.0060957, 7);
    expect(learningRateAt(75, FIXTURE)).toBeCloseTo(0.00323232, 8);
  });

  test("the paper's example: sharkfin factor starts at sqrt(pfrac/ef²) = 1/8", () => {
    const c = {
      ...FIXTURE,
      total_steps: 244_140,
      pfrac: 0.25,
      expansion_factor: 4,
      expansion_factor_mlp: null,
    };
    const w = warmupSteps(c);
    expect(learningRateAt(w, c) / baseLearningRate(w, c)).toBeCloseTo(1 / 8, 12);
    expect(learningRateAt(c.total_steps / 2, c)).toBe(baseLearningRate(c.total_steps / 2, c));
  });

  test("no decay: constant after warmup; no sharkfin: the base rate", () => {
    const c = { ...FIXTURE, lr_decay: false, pfrac_anneal_schedule_lr_with_L0: false };
    expect(learningRateAt(60, c)).toBe(0.0128);
    expect(learningRateAt(0, c)).toBe(0);
  });
});

describe("pfrac anneal", () => {
  test("linear from P0 = ef² to pfrac between start·S and stop·S", () => {
    expect(pfracAt(0, FIXTURE)).toBe(4);
    expect(pfracAt(1, FIXTURE)).toBe(4);
    expect(pfracAt(25, FIXTURE)).toBeCloseTo(4 - (3 * 24) / 49, 14);
    expect(pfracAt(50, FIXTURE)).toBe(1);
    expect(pfracAt(99, FIXTURE)).toBe(1);
  });

  test("exponent 2 front-loads the anneal: 1 − (1 − 1/2)² = 3/4 of the way at mid-anneal", () => {
    const c = {
      ...FIXTURE,
      pfrac_anneal_exponent: 2,
      pfrac_anneal_start_frac: 0,
      pfrac_anneal_stop_frac: 0.5,
    };
    expect(pfracAt(25, c)).toBeCloseTo(4 - 3 * 0.75, 14);
  });

  test("power_law: straight in log-log, geometric mean at the geometric mid-step", () => {
    const c: TrainConfig = {
      ...FIXTURE,
      pfrac: 0.25,
      expansion_factor: 4,
      pfrac_anneal_mode: "power_law",
      pfrac_anneal_start_frac: 0.1,
      pfrac_anneal_stop_frac: 0.5,
    };
    expect(pfracAt(5, c)).toBe(16);
    expect(pfracAt(Math.sqrt(10 * 50), c)).toBeCloseTo(2, 12);
    expect(pfracAt(60, c)).toBe(0.25);
  });

  test("no anneal: pfrac from the start", () => {
    expect(pfracAt(0, { ...FIXTURE, pfrac_anneal: false })).toBe(1);
  });
});

describe("L0 fractions and k", () => {
  test("weights pfrac_i/(ef·efm); embeddings the fixed g(pfrac_i)/ef (README table)", () => {
    const p2 = 4 - 3 / 49;
    expect(l0Fraction("weight", p2, FIXTURE)).toBeCloseTo(0.984694, 6);
    expect(l0Fraction("embed", p2, FIXTURE)).toBeCloseTo(0.989796, 6);
    // dense at P0 for both; at the end weights 1/4, embeddings pfrac/ef = 1/2
    expect(l0Fraction("weight", 4, FIXTURE)).toBe(1);
    expect(l0Fraction("embed", 4, FIXTURE)).toBe(1);
    expect(l0Fraction("weight", 1, FIXTURE)).toBe(0.25);
    expect(l0Fraction("embed", 1, FIXTURE)).toBe(0.5);
    // biases use the embedding rule
    expect(l0Fraction("bias", p2, FIXTURE)).toBe(l0Fraction("embed", p2, FIXTURE));
  });

  test("csp_yolo2's budget: weights 1/1024, embeddings 0.78%", () => {
    const c = { ...FIXTURE, pfrac: 0.0625, expansion_factor: 8, expansion_factor_mlp: 8 };
    expect(l0Fraction("weight", 0.0625, c)).toBe(1 / 1024);
    expect(l0Fraction("embed", 0.0625, c)).toBeCloseTo(0.0078125, 15);
  });

  test("k truncates like Python int()", () => {
    expect(keepCount(0.984693877551, 3072)).toBe(3024);
    expect(keepCount(0.25, 4096)).toBe(1024);
    expect(keepCount(0.9999999, 10)).toBe(9);
  });
});
