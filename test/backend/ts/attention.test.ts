import { describe, expect, it } from "vitest";
import { attentionBackward, attentionForward } from "../../../src/backend/ts/attention.js";
import { randomArray } from "../../helpers/random.js";
import { checkGrad, dot } from "./grad_check.js";

describe("attention kernels of the TypeScript oracle (float64)", () => {
  for (const withSink of [false, true]) {
    it(`causal attention${withSink ? " with sink" : ""}: the backward matches finite differences`, () => {
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
});
