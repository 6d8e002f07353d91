import { describe, expect, test } from "vitest";
import type { Backend } from "../../src/backend/backend.js";
import { getBackend } from "../../src/backend/index.js";
import { BACKENDS, useBackend } from "../helpers/backends.js";
import { tsBackend } from "../../src/backend/ts/index.js";
import { createLearner, trainStep, type Learner } from "../../src/train/step.js";
import type { FloatArray } from "../../src/tensor/tensor.js";
import { loadTrainStepFixture, scalar } from "./train_fixture.js";

/**
 * The official train.py loop (fixture train-step: float64 reference, S = 100, steps 0..100) replayed
 * from init.safetensors on batch.safetensors. Schedules must match bit for bit; loss and parameters
 * to the fixture's tolerances; the zero pattern exactly, at every recorded step.
 */
const f = loadTrainStepFixture();

function relMax(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return den === 0 ? num : num / den;
}

function zeroPatternDiffers(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) if ((a[i] === 0) !== (b[i] === 0)) d++;
  return d;
}

interface Tolerances {
  loss: number;
  param: number;
}

function replay<A extends FloatArray>(learner: Learner<A>, backend: Backend, tol: Tolerances): void {
  expect(f.train.total_steps).toBe(100);
  for (let i = 0; i <= f.train.total_steps; i++) {
    const rec = trainStep(learner, i, { tokens: f.tokens, b: f.b, t: f.t }, { backend });
    // Schedules are plain double arithmetic in the reference's operation order: exact.
    expect(rec.lr, `lr at step ${i}`).toBe(scalar(f, `step${i}/lr`));
    expect(rec.pfrac, `pfrac at step ${i}`).toBe(scalar(f, `step${i}/pfrac`));
    expect([...rec.keep.keys()].sort()).toEqual([...f.sparsified].sort());
    for (const [name, { l0frac, k }] of rec.keep) {
      expect(l0frac, `L0frac ${name} step ${i}`).toBe(scalar(f, `step${i}/L0frac/${name}`));
      expect(k, `k ${name} step ${i}`).toBe(scalar(f, `step${i}/k/${name}`));
    }
    const loss = scalar(f, `step${i}/loss`);
    expect(Math.abs(rec.loss - loss) / loss, `loss at step ${i}`).toBeLessThan(tol.loss);
    const norm = scalar(f, `step${i}/grad_norm`);
    expect(Math.abs(rec.gradNorm - norm) / norm, `grad norm at step ${i}`).toBeLessThan(tol.loss * 10);

    if (f.recordedParamSteps.includes(i)) {
      for (const [name, t] of learner.model.params) {
        const expected = f.steps.get(`step${i}/param/${name}`);
        if (!expected) {
          expect(name).toBe("final_logits_bias"); // a buffer; the fixture records parameters only
          continue;
        }
        expect(zeroPatternDiffers(t.data, expected.data), `zero pattern of ${name} at step ${i}`).toBe(0);
        expect(relMax(t.data, expected.data), `${name} at step ${i}`).toBeLessThan(tol.param);
      }
    }
  }
}

describe("parity with the official training loop (train-step fixture)", () => {
  test("float64 on the TypeScript backend: every step to ~1e-12", () => {
    replay(createLearner(f.model<Float64Array>("f64"), f.train), tsBackend, { loss: 1e-12, param: 1e-12 });
  });

  for (const name of BACKENDS) {
    test(`float32 engine (${name} backend): every step to ~1e-5, same zero pattern`, () => {
      useBackend(name);
      replay(createLearner(f.model<Float32Array>("f32"), f.train), getBackend(), { loss: 1e-5, param: 3e-5 });
    });
  }

  test("the fixture's step-0 gradients (after RMS normalisation) are what Adam receives", () => {
    // Sanity of the replay's premise: with lr 0 at step 0, only forward/backward/normalisation act.
    const learner = createLearner(f.model<Float64Array>("f64"), f.train);
    const before = new Map([...learner.trained].map(([n, p]) => [n, p.slice()]));
    trainStep(learner, 0, { tokens: f.tokens, b: f.b, t: f.t }, { backend: tsBackend });
    // m after one step = (1 − β1)·g
    for (const [name, m] of learner.adam.m) {
      const g = f.steps.get(`step0/grad/${name}`)!.data;
      const recovered = Float64Array.from(m, (x) => x / (1 - f.train.adam_betas[0]));
      expect(relMax(recovered, g), name).toBeLessThan(1e-12);
      expect(Array.from(learner.trained.get(name)!)).toEqual(Array.from(before.get(name)!));
    }
  });
});
