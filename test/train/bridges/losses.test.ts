import { describe, expect, it } from "vitest";
import { klDivergence, nmse } from "../../../src/train/bridges/losses.js";
import { expectClose, finiteDiff, randomArray, sampleCoords } from "../../helpers/random.js";

describe("bridge loss terms", () => {
  it("NMSE: value by hand, and both gradients match finite differences", () => {
    const small = nmse(Float64Array.from([1, 2]), Float64Array.from([0, 2]));
    expect(small.loss).toBeCloseTo(1 / 4, 12); // (1² + 0²) / (0² + 2²)
    const pred = randomArray(12, 1);
    const target = randomArray(12, 2);
    const r = nmse(pred, target, 0.7);
    const coords = sampleCoords(12, 12, 3);
    const fp = finiteDiff(() => nmse(pred, target, 0.7).loss, pred, coords);
    const ft = finiteDiff(() => nmse(pred, target, 0.7).loss, target, coords);
    coords.forEach((c, i) => {
      expectClose(r.dPred[c], fp[i], `dPred[${c}]`);
      expectClose(r.dTarget[c], ft[i], `dTarget[${c}]`);
    });
  });

  it("KL: zero for equal logits, value by hand, gradients match finite differences", () => {
    const same = randomArray(10, 4);
    expect(klDivergence(same, same, 5).loss).toBeCloseTo(0, 12);
    // One row, p = (1/2, 1/2), q = softmax(0, ln 3) = (1/4, 3/4): KL = ½ln2 + ½ln(2/3).
    const byHand = klDivergence(Float64Array.from([0, Math.log(3)]), Float64Array.from([0, 0]), 2);
    expect(byHand.loss).toBeCloseTo(0.5 * Math.log(2) + 0.5 * Math.log(2 / 3), 12);
    const pred = randomArray(15, 5, 2);
    const target = randomArray(15, 6, 2);
    const r = klDivergence(pred, target, 5, 1.3);
    const coords = sampleCoords(15, 15, 7);
    const fp = finiteDiff(() => klDivergence(pred, target, 5, 1.3).loss, pred, coords);
    const ft = finiteDiff(() => klDivergence(pred, target, 5, 1.3).loss, target, coords);
    coords.forEach((c, i) => {
      expectClose(r.dPred[c], fp[i], `dPred[${c}]`);
      expectClose(r.dTarget[c], ft[i], `dTarget[${c}]`);
    });
  });
});
