// The fast native AbsTopK (radix-select threshold, nth_element replay only for rows whose ties
// straddle the boundary) and the vectorised GELU, against the TypeScript oracle: AbsTopK must pick
// bit-for-bit the same entries, the float32 GELU must stay within a few ulps of the float64 formula,
// and neither may depend on the thread count or on where an element sits in the array.
import { afterAll, describe, expect, it } from "vitest";
import { tsBackend } from "../../src/backend/ts/index.js";
import { loadNativeBackend, nativeThreads } from "../../src/backend/native.js";
import { randn, rng } from "../helpers/random.js";
import { nativeUnderTest } from "./helpers.js";

/** n·d values from `draw` (given the generator and the column), seeded. */
function rows(
  n: number,
  d: number,
  seed: number,
  draw: (r: () => number, column: number) => number,
): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n * d }, (_, i) => draw(r, i % d));
}

const gaussian = (r: () => number) => randn(r);
/** Values from {0, ±0.5, ±1} (and −0): ties straddle almost every boundary. */
const tiny = (r: () => number) => [0, -0, 0.5, -0.5, 1, -1][Math.floor(r() * 6)];
/** Mostly signed zeros: rows with fewer than k nonzeros keep some zeros, chosen by PyTorch's algorithm. */
const signedZeros = (r: () => number) => (r() < 0.45 ? 0 : r() < 0.82 ? -0 : r() - 0.5);
/** A few NaNs and infinities among ordinary values. */
const specials = (r: () => number) => {
  const u = r();
  if (u < 0.02) return NaN;
  if (u < 0.04) return u < 0.03 ? Infinity : -Infinity;
  return (r() - 0.5) * 10;
};
/**
 * Large entries exactly at the columns the kernel samples (one in 8, at offset 5·block mod 8) to
 * bracket the threshold: the sample misleads, and the rows must take the full-histogram path.
 */
const sampleDefeating = (r: () => number, column: number) =>
  (((column >> 3) * 5 - column) & 7) === 0 ? 10 + r() : r() - 0.5;
/** Magnitudes over 80 binades, subnormals included. */
const wideRange = (r: () => number) => (r() < 0.5 ? -1 : 1) * (1 + r()) * 2 ** (Math.floor(r() * 100) - 140);

/** Runs AbsTopK on both backends from garbage-filled masks; returns [oracle, native] results. */
function bothTopK(x: Float32Array, n: number, d: number, k: number) {
  const native = loadNativeBackend().backend!;
  const a = x.slice();
  const b = x.slice();
  const keptA = new Uint8Array(n * d).fill(7);
  const keptB = new Uint8Array(n * d).fill(9);
  tsBackend.absTopK(a, n, d, k, keptA);
  native.absTopK(b, n, d, k, keptB);
  return { a, b, keptA, keptB };
}

/** Bit patterns, so that −0 vs +0 and NaN payloads count as differences. */
const bits = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);

/** Asserts two arrays are element-wise identical, naming the first difference (faster than toEqual). */
function expectSame(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) {
      throw new Error(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

describe("native AbsTopK: the same selection as PyTorch, bit for bit", () => {
  const native = nativeUnderTest();
  if (!native) return;
  const saved = nativeThreads();
  afterAll(() => nativeThreads(saved));

  const draws = { gaussian, tiny, signedZeros, specials, wideRange, sampleDefeating };
  for (const [name, draw] of Object.entries(draws)) {
    it(`${name} rows, many widths and k`, () => {
      let seed = name.length * 1000;
      for (const d of [1, 2, 7, 16, 17, 33, 130, 2048, 2080, 8192]) {
        const n = d >= 2048 ? 3 : 12;
        for (const k of new Set([0, 1, 2, d >> 2, d >> 1, d - 1, d, d + 2])) {
          const x = rows(n, d, seed++, draw);
          const { a, b, keptA, keptB } = bothTopK(x, n, d, k);
          const what = `${name} n=${n} d=${d} k=${k}`;
          expectSame(keptB, keptA, `${what} kept`);
          expectSame(bits(b), bits(a), `${what} x`);
        }
      }
    });
  }

  it("ties straddling the boundary resolve like PyTorch, and rows without ties keep exactly k", () => {
    // Row 0: no ties (threshold path). Row 1: 6 equal magnitudes around k (replay). Row 2: −0/+0 tie.
    const d = 8;
    const x = Float32Array.from([
      ...[0.1, -5, 3, 0.2, -0.3, 4, 0.05, 2],
      ...[1, -1, 1, 0.5, -1, 1, 2, -1],
      ...[0, -0, 3, 0, -0, -2, 0, -0],
    ]);
    const { a, b, keptA, keptB } = bothTopK(x, 3, d, 3);
    expect(keptB).toEqual(keptA);
    expect(bits(b)).toEqual(bits(a));
    expect(Array.from(keptB.subarray(0, d))).toEqual([0, 1, 1, 0, 0, 1, 0, 0]);
    for (let i = 0; i < 3; i++) expect(keptB.subarray(i * d, (i + 1) * d).reduce((s, v) => s + v, 0)).toBe(3);
  });

  it("does not depend on the thread count", () => {
    const [n, d, k] = [24, 8192, 2048];
    const x = rows(n, d, 77, (r) => (r() < 0.1 ? tiny(r) : gaussian(r)));
    const run = (threads: number) => {
      nativeThreads(threads);
      const y = x.slice();
      const kept = new Uint8Array(n * d);
      native!.absTopK(y, n, d, k, kept);
      return { y: bits(y), kept };
    };
    const one = run(1);
    const two = run(2);
    const four = run(4);
    expectSame(two.kept, one.kept, "kept, 2 threads vs 1");
    expectSame(two.y, one.y, "x, 2 threads vs 1");
    expectSame(four.kept, one.kept, "kept, 4 threads vs 1");
    expectSame(four.y, one.y, "x, 4 threads vs 1");
  });
});

describe("native GELU: float32, within a few ulps of the float64 formula", () => {
  const native = nativeUnderTest();
  if (!native) return;
  const saved = nativeThreads();
  afterAll(() => nativeThreads(saved));

  // [-10, 10] in steps of 1e-4, then values around the clamp, specials and subnormals.
  const sweep = Float32Array.from([
    ...Array.from({ length: 200_001 }, (_, i) => -10 + i * 1e-4),
    ...[0, -0, 1e-45, -1e-45, 1e-40, -1e-40, 1e-20, -1e-20, 0.7518, -0.7518, -5.5, -8.4, -12, -13.5],
    ...[-14.4, -14.6, 14.99, -14.99, 15, -15, 15.01, -15.01, 20, -20, 1e30, -1e30, 3e38, -3e38],
    ...[Infinity, -Infinity, NaN],
  ]);
  const size = sweep.length;
  const dy = Float32Array.from({ length: size }, (_, i) => 3 * Math.sin(i));

  // The oracle computes in float64; writing to a Float64Array keeps its value unrounded.
  const exactForward = new Float64Array(size);
  tsBackend.gelu(Float64Array.from(sweep), exactForward, size);
  const exactBackward = new Float64Array(size);
  tsBackend.geluBackward(Float64Array.from(sweep), Float64Array.from(dy), exactBackward, size);

  /**
   * Within 4e-7 relative of the float64 value (about 3 float ulps: the kernel computes in float32,
   * src/native/activations.cc; measured worst 3.1e-7 against a 40-digit reference), plus the oracle's
   * own cancellation below x ≈ −5 (1e-14 absolute) and the smallest subnormal; `slack` adds an
   * absolute allowance (the backward's cancellation near its root at x ≈ −0.75).
   */
  function expectClose(
    actual: Float32Array,
    exact: Float64Array,
    slack: (i: number) => number,
    what: string,
  ) {
    for (let i = 0; i < size; i++) {
      const t = exact[i];
      if (!Number.isFinite(t)) {
        expect(actual[i], `${what}(${sweep[i]})`).toBe(t); // toBe treats NaN as equal to NaN
        continue;
      }
      const tolerance = 4e-7 * Math.abs(t) + 1e-14 + 1.5e-45 + slack(i);
      if (!(Math.abs(actual[i] - t) <= tolerance)) {
        throw new Error(`${what}(${sweep[i]}) = ${actual[i]}, float64 formula ${t} (tolerance ${tolerance})`);
      }
    }
  }

  it("forward is within 4e-7 relative over a dense sweep and at the extremes", () => {
    const out = new Float32Array(size);
    native!.gelu(sweep, out, size);
    expectClose(out, exactForward, () => 0, "gelu");
    expect(out[size - 3]).toBe(Infinity); // GELU(+∞)
    expect(Object.is(out[size - 6], -0)).toBe(true); // GELU(−1e30) = −0, as 0.5·x·(1 + erf) gives
  });

  it("backward is within 4e-7 relative plus 2e-7·|dy| absolute", () => {
    const dx = new Float32Array(size);
    native!.geluBackward(sweep, dy, dx, size);
    expectClose(dx, exactBackward, (i) => 2e-7 * Math.abs(dy[i]), "geluBackward");
  });

  it("an element's result depends neither on its position nor on the thread count", () => {
    const big = Float32Array.from({ length: 300_007 }, (_, i) => sweep[(i * 7919) % size]);
    const grad = Float32Array.from({ length: big.length }, (_, i) => dy[i % size]);
    const run = (threads: number, x: Float32Array, g: Float32Array) => {
      nativeThreads(threads);
      const out = new Float32Array(x.length);
      const dx = new Float32Array(x.length);
      native!.gelu(x, out, x.length);
      native!.geluBackward(x, g, dx, x.length);
      return { out: bits(out), dx: bits(dx) };
    };
    const one = run(1, big, grad);
    const two = run(2, big, grad);
    const three = run(3, big, grad);
    expectSame(two.out, one.out, "gelu, 2 threads vs 1");
    expectSame(two.dx, one.dx, "geluBackward, 2 threads vs 1");
    expectSame(three.out, one.out, "gelu, 3 threads vs 1");
    expectSame(three.dx, one.dx, "geluBackward, 3 threads vs 1");
    // Short arrays at odd offsets go through the padded partial-vector path.
    for (const [start, length] of [
      [0, 1],
      [3, 5],
      [17, 13],
      [1000, 33],
    ]) {
      const part = run(2, big.slice(start, start + length), grad.slice(start, start + length));
      expectSame(part.out, one.out.slice(start, start + length), `gelu of [${start}, +${length})`);
      expectSame(part.dx, one.dx.slice(start, start + length), `geluBackward of [${start}, +${length})`);
    }
  });
});
