import { describe, expect, it } from "vitest";
import { nodeMaskBackward, nodeMaskForward } from "../../../src/backend/ts/node_mask.js";

// Two rows of three channels; channel 0 kept (m = 1), channel 1 ablated (m = 0), channel 2 half-way.
const x = Float32Array.from([1, 2, 4, -3, 5, 8]);
const mask = Float64Array.from([1, 0, 0.5]);
const mu = Float32Array.from([10, 20, 40]);

describe("node mask oracle (circuit pruning's x ↦ m·x + (1 − m)·μ)", () => {
  it("keeps m = 1 channels, replaces m = 0 ones by μ and mixes the rest", () => {
    const out = new Float32Array(6);
    nodeMaskForward({ x, rows: 2, width: 3, mask, mu, muPerRow: false, out });
    expect(Array.from(out)).toEqual([1, 20, 22, -3, 20, 24]);
  });

  it("takes one μ per row and channel when muPerRow, and works in place", () => {
    const io = x.slice();
    const rowsMu = Float32Array.from([0, 0, 0, 100, 100, 100]);
    nodeMaskForward({ x: io, rows: 2, width: 3, mask, mu: rowsMu, muPerRow: true, out: io });
    expect(Array.from(io)).toEqual([1, 0, 2, -3, 100, 54]);
  });

  it("passes a kept channel through exactly, even next to an infinite μ", () => {
    const out = new Float32Array(3);
    nodeMaskForward({
      x: Float32Array.from([-0, 7, 1]),
      rows: 1,
      width: 3,
      mask: Float64Array.from([1, 1, 1]),
      mu: Float32Array.from([Infinity, NaN, 3]),
      muPerRow: false,
      out,
    });
    expect(Object.is(out[0], -0)).toBe(true);
    expect(Array.from(out.subarray(1))).toEqual([7, 1]);
  });

  it("backward: dx = m·dOut and d loss / d m summed over rows, or |per sequence| for attribution", () => {
    const dOut = Float32Array.from([1, 1, 2, 1, -1, 2]);
    const dx = new Float32Array(6);
    const dMask = Float64Array.from([100, 0, 0]);
    nodeMaskBackward({ x, rows: 2, width: 3, mask, mu, muPerRow: false, dOut, dx, dMask });
    expect(Array.from(dx)).toEqual([1, 0, 1, 1, -0, 1]);
    // Σ_r dOut·(x − μ): channel 0: (1−10) + (−3−10) = −22; channel 1: (2−20) − (5−20) = −3;
    // channel 2: 2(4−40) + 2(8−40) = −136; added to what dMask held.
    expect(Array.from(dMask)).toEqual([78, -3, -136]);
    const abs = new Float64Array(3);
    nodeMaskBackward({
      x,
      rows: 2,
      width: 3,
      mask,
      mu,
      muPerRow: false,
      dOut,
      dx,
      dMask: abs,
      perSequence: 1,
    });
    expect(Array.from(abs)).toEqual([9 + 13, 18 + 15, 72 + 64]);
  });
});
