import { describe, expect, it } from "vitest";
import { tsBackend } from "../../../src/backend/ts/index.js";
import { absTopKBackward, absTopKForward } from "../../../src/model/layers/abstopk.js";
import { attentionBackward, attentionForward } from "../../../src/model/layers/attention.js";
import { crossEntropy } from "../../../src/model/layers/cross_entropy.js";
import { erf, geluBackward, geluForward } from "../../../src/model/layers/gelu.js";
import { layerNormBackward, layerNormForward } from "../../../src/model/layers/layernorm.js";
import { linearBackward, linearForward } from "../../../src/model/layers/linear.js";
import { rmsNormBackward, rmsNormForward } from "../../../src/model/layers/rmsnorm.js";
import { expectClose, finiteDiff, randomArray, sampleCoords } from "../../helpers/random.js";

/** Scalar probe: L = Σ y·r for a fixed random r, so dL/dy = r. */
function dot(y: Float64Array, r: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i] * r[i];
  return s;
}

function checkGrad(name: string, f: () => number, x: Float64Array, grad: Float64Array, seed: number): void {
  const coords = sampleCoords(x.length, 12, seed);
  const fd = finiteDiff(f, x, coords);
  coords.forEach((c, i) => expectClose(grad[c], fd[i], `${name}[${c}]`));
}

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

  it("rmsnorm", () => {
    const [n, d] = [4, 6];
    const x = randomArray(n * d, 1);
    const w = randomArray(d, 2);
    const r = randomArray(n * d, 3);
    const f = () => {
      const out = new Float64Array(n * d);
      rmsNormForward({ x, w, n, d, out, rstd: new Float64Array(n) });
      return dot(out, r);
    };
    const rstd = new Float64Array(n);
    rmsNormForward({ x, w, n, d, out: new Float64Array(n * d), rstd });
    const dx = new Float64Array(n * d);
    const dw = new Float64Array(d);
    rmsNormBackward({ dy: r, x, w, rstd, n, d, dx, dw });
    checkGrad("dx", f, x, dx, 4);
    checkGrad("dw", f, w, dw, 5);
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

  for (const withSink of [false, true]) {
    it(`causal attention${withSink ? " with sink" : ""}`, () => {
      const dims = { b: 2, t: 5, nHead: 2, dHead: 3 };
      const size = dims.b * dims.t * dims.nHead * dims.dHead;
      const q = randomArray(size, 21);
      const k = randomArray(size, 22);
      const v = randomArray(size, 23);
      const sink = withSink ? randomArray(dims.nHead, 24) : undefined;
      const r = randomArray(size, 25);
      const probsLen = dims.b * dims.nHead * dims.t * dims.t;
      const sinkLen = dims.b * dims.nHead * dims.t;
      const f = () => {
        const y = new Float64Array(size);
        attentionForward(
          dims,
          q,
          k,
          v,
          sink,
          y,
          new Float64Array(probsLen),
          sink ? new Float64Array(sinkLen) : undefined,
        );
        return dot(y, r);
      };
      const probs = new Float64Array(probsLen);
      const pSink = sink ? new Float64Array(sinkLen) : undefined;
      attentionForward(dims, q, k, v, sink, new Float64Array(size), probs, pSink);
      const dq = new Float64Array(size);
      const dk = new Float64Array(size);
      const dv = new Float64Array(size);
      const dSink = sink ? new Float64Array(dims.nHead) : undefined;
      attentionBackward(dims, r, q, k, v, probs, pSink, dq, dk, dv, dSink);
      checkGrad("dq", f, q, dq, 26);
      checkGrad("dk", f, k, dk, 27);
      checkGrad("dv", f, v, dv, 28);
      if (sink) checkGrad("dsink", f, sink, dSink!, 29);
    });
  }

  it("attention is causal: a later key or value never changes an earlier output", () => {
    const dims = { b: 1, t: 4, nHead: 1, dHead: 2 };
    const q = randomArray(8, 1);
    const k = randomArray(8, 2);
    const v = randomArray(8, 3);
    const run = () => {
      const y = new Float64Array(8);
      attentionForward(dims, q, k, v, undefined, y, new Float64Array(16), undefined);
      return y;
    };
    const before = run();
    k[6] += 5;
    v[7] -= 3;
    const after = run();
    expect(Array.from(after.slice(0, 6))).toEqual(Array.from(before.slice(0, 6)));
    expect(after[6]).not.toBe(before[6]);
  });

  it("erf-GELU", () => {
    const n = 40;
    const x = randomArray(n, 31, 3);
    const r = randomArray(n, 32);
    const f = () => {
      const out = new Float64Array(n);
      geluForward(x, out, n);
      return dot(out, r);
    };
    const dx = new Float64Array(n);
    geluBackward(x, r, dx, n);
    checkGrad("dx", f, x, dx, 33);
  });

  it("erf matches known values to double precision", () => {
    // Values from Abramowitz & Stegun table 7.1 / high-precision references.
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(erf(1)).toBeCloseTo(0.8427007929497149, 14);
    expect(erf(2)).toBeCloseTo(0.9953222650189527, 14);
    expect(erf(3)).toBeCloseTo(0.9999779095030014, 14);
    expect(erf(-1.5)).toBeCloseTo(-0.9661051464753108, 14);
    expect(erf(4.5)).toBeCloseTo(0.9999999998033839, 14);
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
