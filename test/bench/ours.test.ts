import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSafetensors } from "../../src/io/safetensors.js";
import { TRAINING_FULL, TRAINING_QUICK } from "../../bench/configs.js";
import { sampleWindows, syntheticTokens } from "../../bench/data.js";
import { OURS_INFERENCE } from "../../bench/ours/inference.js";
import { SPARSE_TRAINING, TRAINING_MODES, isAvailable, oursTrainers } from "../../bench/ours/training.js";
import { initModel } from "../../src/train/init.js";
import { TINY_MODEL } from "../train/tiny_model.js";
import { randomTokens } from "../helpers/models.js";
import { trainingCost } from "../../bench/training.js";
import { parseTrainConfig } from "../../src/train/train_config.js";
import { parityDir, relMaxError } from "../helpers/fixtures.js";

describe("our side of the benchmark", () => {
  it("the measured inference path reproduces the reference logits (sink-afrac fixture)", () => {
    const dir = parityDir("sink-afrac");
    const expected = readSafetensors(join(dir, "expected.safetensors")).tensors;
    const ids = expected.get("input_ids")!.data as Int32Array;
    const [b, t] = expected.get("input_ids")!.shape;
    const logits = OURS_INFERENCE.load(dir, 2).forward(ids, b, t);
    expect(relMaxError(logits, expected.get("logits")!.data)).toBeLessThan(1e-5);
  });

  it("runs trainStep in each sparse training mode: same until fast's first masked step, then apart", () => {
    const train = parseTrainConfig(
      {
        ...TRAINING_QUICK.train,
        total_steps: 20,
        global_bs: 2,
        n_ctx: 16,
        pfrac: 1 / 4,
        pfrac_anneal: false,
        dense_grad_every: 1000,
      },
      "test",
    ).config;
    const tokens = randomTokens(3 * 2 * 16, TINY_MODEL.vocab_size, 4);
    const losses = (mode: "exact" | "fast"): number[] => {
      const t = SPARSE_TRAINING[mode];
      if (!isAvailable(t)) throw new Error(t.unavailable);
      expect(t.name).toBe(mode);
      const learner = t.create(initModel(TINY_MODEL, 3), train, 2);
      learner.projectToTarget();
      return [0, 1, 2].map((i) => learner.step(i, tokens.subarray(i * 32, (i + 1) * 32), 2, 16));
    };
    const exact = losses("exact");
    const fast = losses("fast");
    // Step 0 is a dense refresh in fast mode (0 % dense_grad_every = 0), so both modes make the same
    // update; step 1 is masked in fast mode only, so the loss of step 2 differs.
    expect(fast[0]).toBe(exact[0]);
    expect(fast[1]).toBe(exact[1]);
    expect(fast[2]).not.toBe(exact[2]);
    expect([...oursTrainers().keys()]).toEqual([...TRAINING_MODES]);
  });
});

describe("benchmark data and cost model", () => {
  it("synthetic tokens are seeded, in range, and predictable from the previous token", () => {
    const a = syntheticTokens(20_000, 512, 3);
    expect(Array.from(syntheticTokens(20_000, 512, 3))).toEqual(Array.from(a));
    expect(Array.from(syntheticTokens(100, 512, 4))).not.toEqual(Array.from(a.subarray(0, 100)));
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThan(512);
    // Far from uniform: the most common successor of a token covers well over 1/512 of its followers.
    const follow = new Map<number, Map<number, number>>();
    for (let i = 1; i < a.length; i++) {
      const m = follow.get(a[i - 1]) ?? new Map<number, number>();
      m.set(a[i], (m.get(a[i]) ?? 0) + 1);
      follow.set(a[i - 1], m);
    }
    let top = 0;
    for (const m of follow.values()) top += Math.max(...m.values());
    expect(top / (a.length - 1)).toBeGreaterThan(0.25);
    const w = sampleWindows(a, 3, 16, 9);
    expect(w.length).toBe(48);
    expect(Array.from(sampleWindows(a, 3, 16, 9))).toEqual(Array.from(w));
  });

  it("counts the training model's parameters and linear work (hand-computed)", () => {
    const { config } = parseTrainConfig({ ...TRAINING_FULL.train }, "test");
    const c = trainingCost(TRAINING_FULL.model, config);
    // per layer: c_attn 1536·512 + 1536, c_proj 512·512 + 512, c_fc 2048·512 + 2048, c_proj 512·2048 + 512,
    // ln_1 + ln_2 1024 → 3,151,360; ×4 layers + wte 1,048,576 + wpe 1024·512 + ln_f 512 + lm_head 1,048,576
    // + bigram 2048² = 19,421,696
    expect(c.params).toBe(19_421_696);
    // 4 · (786,432 + 262,144 + 1,048,576 + 1,048,576) + lm_head 1,048,576
    expect(c.linearMacsPerToken).toBe(13_631_488);
    // pfrac/(ef·efm) = (1/16)/4
    expect(c.targetWeightDensity).toBe(1 / 64);
    expect(c.meanWeightDensityOverRun).toBeGreaterThan(1 / 64);
    expect(c.meanWeightDensityOverRun).toBeLessThan(1);
    const quick = parseTrainConfig({ ...TRAINING_QUICK.train }, "test").config;
    expect(trainingCost(TRAINING_QUICK.model, quick).targetWeightDensity).toBe(1 / 16);
  });
});
