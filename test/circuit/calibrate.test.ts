import { describe, expect, it } from "vitest";
import { calibratedLoss, fitCalibration } from "../../src/circuit/calibrate.js";
import { lbfgs } from "../../src/circuit/lbfgs.js";
import { maskedLosses } from "../../src/circuit/masked_run.js";
import { groupByLength } from "../../src/circuit/task_data.js";
import { IDENTITY_CALIBRATION, type CandidateLogits } from "../../src/circuit/task_loss.js";
import { plantedSetup } from "../prune/planted_setup.js";

describe("L-BFGS", () => {
  it("minimises a badly scaled quadratic to its known minimum", () => {
    // f = Σ c_i (x_i − i)², minimum 0 at x_i = i.
    const c = [1, 10, 100, 0.1];
    const f = (x: Float64Array) => ({
      value: x.reduce((s, v, i) => s + c[i] * (v - i) ** 2, 0),
      grad: x.map((v, i) => 2 * c[i] * (v - i)),
    });
    const res = lbfgs(f, new Float64Array(4), 30);
    for (let i = 0; i < 4; i++) expect(res.x[i]).toBeCloseTo(i, 5);
    expect(res.value).toBeLessThan(1e-9);
  });

  it("never increases the objective (Rosenbrock, 16 iterations)", () => {
    const values: number[] = [];
    const f = (x: Float64Array) => {
      const [a, b] = x;
      const value = (1 - a) ** 2 + 100 * (b - a * a) ** 2;
      values.push(value);
      return { value, grad: Float64Array.of(-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)) };
    };
    const res = lbfgs(f, Float64Array.of(-1.2, 1), 16);
    expect(res.iterations).toBeLessThanOrEqual(16);
    expect(res.value).toBeLessThan(values[0]);
    expect(res.value).toBeLessThan(4.2); // f(−1.2, 1) = 24.2
  });
});

describe("logit calibration", () => {
  const candidates = (margins: number[], flip = false): CandidateLogits => ({
    correct: Float64Array.from(margins, (m) => (flip ? -m : m)),
    alt: new Float64Array(margins.length),
    correctId: Int32Array.from(margins, (_, i) => (i % 2 === 0 ? 7 : 9)),
    altId: Int32Array.from(margins, (_, i) => (i % 2 === 0 ? 9 : 7)),
  });

  it("learns a scale > 1 for an under-confident but always-right circuit", () => {
    const c = candidates([0.2, 0.3, 0.1, 0.25, 0.15, 0.4]);
    const before = calibratedLoss(c, IDENTITY_CALIBRATION);
    const cal = fitCalibration(c);
    expect(cal.scale).toBeGreaterThan(5);
    expect(calibratedLoss(c, cal)).toBeLessThan(before / 3);
  });

  it("learns a per-token shift for a circuit biased toward one token", () => {
    // Token 7 correct (even rows): margin +3; token 9 correct (odd rows): margin −1 (biased to 7).
    const c = candidates([3, -1, 3, -1, 3, -1]);
    const cal = fitCalibration(c);
    const before = calibratedLoss(c, IDENTITY_CALIBRATION);
    expect(calibratedLoss(c, cal)).toBeLessThan(before / 4);
    expect(cal.shift.get(9)! - cal.shift.get(7)!).toBeGreaterThan(1);
  });

  it("lowers the loss of a deliberately mis-scaled model's circuit", () => {
    // The unembedding gain of the planted model is cut 20-fold: right answers, low confidence.
    const { ctx, layout, train } = plantedSetup({ logitGain: 0.2 });
    const full = maskedLosses(
      ctx,
      groupByLength(train),
      train.length,
      new Float32Array(layout.total).fill(1),
    );
    const before = full.losses.reduce((a, b) => a + b, 0) / train.length;
    expect(before).toBeGreaterThan(0.3);
    const cal = fitCalibration(full.candidates);
    const after = calibratedLoss(full.candidates, cal);
    expect(after).toBeLessThan(0.5 * before);
    expect(cal.scale).toBeGreaterThan(2);
  });
});
