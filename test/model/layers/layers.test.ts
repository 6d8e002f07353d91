import { describe, expect, it } from "vitest";
import { absTopKForward } from "../../../src/backend/ts/activations.js";
import { tsBackend } from "../../../src/backend/ts/index.js";
import { absTopKBackward } from "../../../src/model/layers/abstopk.js";
import { crossEntropy } from "../../../src/model/layers/cross_entropy.js";
import { layerNormBackward, layerNormForward } from "../../../src/model/layers/layernorm.js";
import { linearBackward, linearForward } from "../../../src/model/layers/linear.js";
import { randomArray } from "../../helpers/random.js";
import { checkGrad, dot } from "../../backend/ts/grad_check.js";

// Kernels the layers hand to the backend (RMSNorm, attention, GELU) are checked in test/backend/ts/.

describe("op backward passes match finite differences (float64)", () => {
  it("linear", () => {
    const [n, dIn, dOut] = [5, 7, 3];
    const x = randomArray(n * dIn, 1);
    const w = randomArray(dOut * dIn, 2);
    const b = randomArray(dOut, 3);
    const r = randomArray(n * dOut, 4);
    const f = () => {
      const out = new Float64Array(n * dOut);
      linearForward(tsBackend, { x, w, b, n, dIn, dOut, out });
      return dot(out, r);
    };
    const dx = new Float64Array(n * dIn);
    const dw = new Float64Array(dOut * dIn);
    const db = new Float64Array(dOut);
    linearBackward(tsBackend, { dy: r, x, w, n, dIn, dOut, dx, dw, db });
    checkGrad("dx", f, x, dx, 5);
    checkGrad("dw", f, w, dw, 6);
    checkGrad("db", f, b, db, 7);
  });

  it("layernorm", () => {
    const [n, d] = [4, 6];
    const x = randomArray(n * d, 11);
    const w = randomArray(d, 12);
    const b = randomArray(d, 13);
    const r = randomArray(n * d, 14);
    const run = (mean: Float64Array, rstd: Float64Array) => {
      const out = new Float64Array(n * d);
      layerNormForward({ x, w, b, n, d, out, mean, rstd });
      return out;
    };
    const f = () => dot(run(new Float64Array(n), new Float64Array(n)), r);
    const mean = new Float64Array(n);
    const rstd = new Float64Array(n);
    run(mean, rstd);
    const dx = new Float64Array(n * d);
    const dw = new Float64Array(d);
    const db = new Float64Array(d);
    layerNormBackward({ dy: r, x, w, mean, rstd, n, d, dx, dw, db });
    checkGrad("dx", f, x, dx, 15);
    checkGrad("dw", f, w, dw, 16);
    checkGrad("db", f, b, db, 17);
  });

  it("cross-entropy (with ignored targets)", () => {
    const [n, v] = [5, 7];
    const logits = randomArray(n * v, 41);
    const targets = new Int32Array([3, -1, 0, 6, 2]);
    const f = () => crossEntropy(logits, targets, v).loss;
    const dLogits = new Float64Array(n * v);
    const { count } = crossEntropy(logits, targets, v, dLogits);
    expect(count).toBe(4);
    checkGrad("dlogits", f, logits, dLogits, 42);
    expect(Array.from(dLogits.slice(v, 2 * v)).every((g) => g === 0)).toBe(true);
  });

  it("AbsTopK keeps the k largest magnitudes with their sign and passes gradient only there", () => {
    const x = new Float64Array([0.5, -3, 2, -0.1, 1, -2.5]);
    const kept = new Uint8Array(6);
    absTopKForward(x, 1, 6, 3, kept);
    expect(Array.from(x)).toEqual([0, -3, 2, 0, 0, -2.5]);
    expect(Array.from(kept)).toEqual([0, 1, 1, 0, 0, 1]);
    const dy = new Float64Array([1, 2, 3, 4, 5, 6]);
    absTopKBackward(dy, kept, 6);
    expect(Array.from(dy)).toEqual([0, 2, 3, 0, 0, 6]);
  });
});
