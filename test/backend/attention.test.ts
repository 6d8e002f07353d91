import { describe, expect, it } from "vitest";
import { tsBackend } from "../../src/backend/ts/index.js";
import { loadNativeAddon, nativeThreads } from "../../src/backend/native.js";
import type { Backend } from "../../src/backend/backend.js";
import type { AttentionDims } from "../../src/backend/backend.js";
import { seeded, nativeUnderTest } from "./helpers.js";

/** n values uniform in [lo, hi). */
function uniform(n: number, seed: number, lo: number, hi: number): Float32Array {
  const r = seeded(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

interface Inputs {
  dims: AttentionDims;
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  dy: Float32Array;
  sink: Float32Array | undefined;
}

/** q and k spread enough that some softmax rows are peaked and some flat. */
function inputs(dims: AttentionDims, withSink: boolean, seed: number): Inputs {
  const size = dims.b * dims.t * dims.nHead * dims.dHead;
  return {
    dims,
    q: uniform(size, seed, -2, 2),
    k: uniform(size, seed + 1, -2, 2),
    v: uniform(size, seed + 2, -1, 1),
    dy: uniform(size, seed + 3, -1, 1),
    sink: withSink ? uniform(dims.nHead, seed + 4, -1, 3) : undefined,
  };
}

interface Outputs {
  y: Float32Array | Float64Array;
  probs: Float32Array | Float64Array;
  pSink: Float32Array | Float64Array | undefined;
  dq: Float32Array | Float64Array;
  dk: Float32Array | Float64Array;
  dv: Float32Array | Float64Array;
  dSink: Float32Array | Float64Array | undefined;
}

/** Forward then backward; `f64` runs on float64 copies (the TypeScript oracle then computes exactly in double). */
function run(be: Backend, x: Inputs, f64 = false): Outputs {
  const { b, t, nHead } = x.dims;
  const make = (n: number) => (f64 ? new Float64Array(n) : new Float32Array(n));
  const conv = (a: Float32Array) => (f64 ? Float64Array.from(a) : a);
  const size = x.q.length;
  const [q, k, v, dy] = [x.q, x.k, x.v, x.dy].map(conv);
  const sink = x.sink && conv(x.sink);
  const y = make(size);
  const probs = make(b * nHead * t * t);
  const pSink = sink ? make(b * nHead * t) : undefined;
  be.attentionForward(x.dims, q, k, v, sink, y, probs, pSink);
  const [dq, dk, dv] = [make(size), make(size), make(size)];
  const dSink = sink ? make(nHead) : undefined;
  be.attentionBackward(x.dims, dy, q, k, v, probs, pSink, dq, dk, dv, dSink);
  return { y, probs, pSink, dq, dk, dv, dSink };
}

/**
 * |actual − expected| ≤ rel·(|expected_i| + mean |expected|): relative, with the tensor's typical
 * magnitude as the floor where an entry cancels to near 0.
 */
function expectNear(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let mean = 0;
  for (let i = 0; i < expected.length; i++) mean += Math.abs(expected[i]) / expected.length;
  for (let i = 0; i < expected.length; i++) {
    const tol = rel * (Math.abs(expected[i]) + mean);
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      throw new Error(`${what}[${i}] is ${actual[i]}, expected ${expected[i]} (tolerance ${tol})`);
    }
  }
}

/** The first index where two float32 arrays differ in their bits (or in length: -2), or -1. */
function bitDifference(a: Float32Array | Float64Array, b: Float32Array | Float64Array): number {
  if (a.length !== b.length || !(a instanceof Float32Array) || !(b instanceof Float32Array)) return -2;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const z = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== z[i]) return i;
  return -1;
}

/** The first index of probs [b, H, t, t] above a row's diagonal that is not exactly 0, or -1. */
function nonzeroAboveDiagonal(probs: ArrayLike<number>, dims: AttentionDims): number {
  const { b, nHead, t } = dims;
  for (let row = 0; row < b * nHead * t; row++) {
    for (let j = (row % t) + 1; j < t; j++) if (probs[row * t + j] !== 0) return row * t + j;
  }
  return -1;
}

describe("attention kernels: native float32 agrees with the float64 TypeScript oracle", () => {
  const native = nativeUnderTest();
  if (!native) return;

  const shapes: AttentionDims[] = [
    { b: 1, t: 1, nHead: 2, dHead: 16 },
    { b: 2, t: 7, nHead: 3, dHead: 5 },
    { b: 1, t: 64, nHead: 4, dHead: 16 },
    { b: 2, t: 64, nHead: 2, dHead: 12 },
    { b: 1, t: 256, nHead: 2, dHead: 16 },
    { b: 2, t: 37, nHead: 3, dHead: 32 },
    { b: 1, t: 19, nHead: 2, dHead: 1 },
  ];
  for (const withSink of [false, true]) {
    for (const dims of shapes) {
      it(`forward and backward within 1e-5, ${JSON.stringify(dims)}${withSink ? ", sink" : ""}`, () => {
        const x = inputs(dims, withSink, 10 * dims.t + dims.dHead);
        const want = run(tsBackend, x, true);
        const got = run(native!, x);
        for (const key of ["y", "probs", "pSink", "dq", "dk", "dv", "dSink"] as const) {
          const a = got[key];
          const e = want[key];
          expect(a === undefined, `${key} present`).toBe(e === undefined);
          if (a && e) expectNear(a, e, 1e-5, key);
        }
        expect(nonzeroAboveDiagonal(got.probs, dims)).toBe(-1);
      });
    }
  }

  it("large probability matrices (written with streaming stores) at any alignment", () => {
    // 8.6 MB of probabilities: past the size where the kernel bypasses the cache. The subarray
    // starts 4 bytes into its buffer, so rows are misaligned for vector stores.
    const dims = { b: 1, t: 256, nHead: 33, dHead: 16 };
    const x = inputs(dims, true, 11);
    const { b, t, nHead } = dims;
    const size = x.q.length;
    const y = new Float32Array(size);
    const probs = new Float32Array(b * nHead * t * t + 1).fill(NaN).subarray(1);
    const pSink = new Float32Array(b * nHead * t);
    native!.attentionForward(dims, x.q, x.k, x.v, x.sink, y, probs, pSink);
    const want = {
      y: new Float64Array(size),
      probs: new Float64Array(probs.length),
      pSink: new Float64Array(pSink.length),
    };
    const f64 = (a: Float32Array) => Float64Array.from(a);
    tsBackend.attentionForward(
      dims,
      f64(x.q),
      f64(x.k),
      f64(x.v),
      f64(x.sink!),
      want.y,
      want.probs,
      want.pSink,
    );
    expectNear(y, want.y, 1e-5, "y");
    expectNear(pSink, want.pSink, 1e-5, "pSink");
    expectNear(probs, want.probs, 1e-5, "probs");
    expect(nonzeroAboveDiagonal(probs, dims)).toBe(-1);
  });

  it("probs undefined gives bit-identical y and pSink, and leaves nothing else written", () => {
    for (const be of [native!, tsBackend]) {
      const dims = { b: 2, t: 50, nHead: 3, dHead: 16 };
      const x = inputs(dims, true, 7);
      const size = x.q.length;
      const y1 = new Float32Array(size);
      const y2 = new Float32Array(size);
      const probs = new Float32Array(dims.b * dims.nHead * dims.t * dims.t);
      const pSink1 = new Float32Array(dims.b * dims.nHead * dims.t);
      const pSink2 = new Float32Array(dims.b * dims.nHead * dims.t);
      be.attentionForward(dims, x.q, x.k, x.v, x.sink, y1, probs, pSink1);
      be.attentionForward(dims, x.q, x.k, x.v, x.sink, y2, undefined, pSink2);
      expect(bitDifference(y2, y1), be.name).toBe(-1);
      expect(bitDifference(pSink2, pSink1), be.name).toBe(-1);
      expect(y1.some((e) => e !== 0)).toBe(true);
    }
  });

  it("one, two and three threads give bit-identical results", () => {
    const dims = { b: 3, t: 96, nHead: 6, dHead: 16 };
    const x = inputs(dims, true, 3);
    const before = nativeThreads();
    try {
      const results = [1, 2, 3].map((n) => {
        expect(nativeThreads(n)).toBe(n);
        return run(native!, x);
      });
      for (const key of ["y", "probs", "pSink", "dq", "dk", "dv", "dSink"] as const) {
        expect(bitDifference(results[1][key]!, results[0][key]!), `${key}, 2 vs 1 threads`).toBe(-1);
        expect(bitDifference(results[2][key]!, results[0][key]!), `${key}, 3 vs 1 threads`).toBe(-1);
      }
    } finally {
      nativeThreads(before);
    }
  });

  it("the softmax exp is within 3 ulp of e^x over [-80, 0], and exactly 0 far below", () => {
    // dHead 1, q = 1, scale 1: the score of key j is exactly k_j, so p_j / p_0 = e^{k_j} (k_0 = 0)
    // up to the rounding of the two probabilities (kept above FLT_MIN, where float32 has full precision).
    const t = 256;
    const nHead = 8;
    const dims = { b: 1, t, nHead, dHead: 1 };
    const q = new Float32Array(t * nHead).fill(1);
    const k = new Float32Array(t * nHead);
    for (let j = 1; j < t; j++) {
      for (let h = 0; h < nHead; h++) k[j * nHead + h] = -((j - 1 + h / nHead) * 80) / (t - 2);
    }
    k[(t - 1) * nHead + nHead - 1] = -120; // far below: exp underflows to exactly 0
    const v = new Float32Array(t * nHead).fill(1);
    const probs = new Float32Array(nHead * t * t);
    native!.attentionForward(dims, q, k, v, undefined, new Float32Array(t * nHead), probs, undefined);
    let worst = 0;
    for (let h = 0; h < nHead; h++) {
      const row = probs.subarray((h * t + t - 1) * t, (h * t + t) * t);
      for (let j = 1; j < t; j++) {
        const x = k[j * nHead + h];
        if (x < -100) {
          expect(row[j], `e^${x}`).toBe(0);
          continue;
        }
        const ratio = row[j] / row[0];
        const exact = Math.exp(x);
        worst = Math.max(worst, Math.abs(ratio - exact) / exact / 2 ** -23);
      }
    }
    expect(worst).toBeLessThanOrEqual(3);
  });

  it("rejects outputs that share memory with inputs, and a short probs", () => {
    const addon = loadNativeAddon().addon!;
    const [b, t, h, d] = [1, 4, 2, 3];
    const buf = new Float32Array(5 * b * t * h * d);
    const part = (i: number) => buf.subarray(i * 24, (i + 1) * 24);
    const probs = new Float32Array(b * h * t * t);
    expect(() =>
      addon.attentionForward(b, t, h, d, part(0), part(1), part(2), null, part(0), probs, null),
    ).toThrow(RangeError);
    expect(() =>
      addon.attentionForward(
        b,
        t,
        h,
        d,
        part(0),
        part(1),
        part(2),
        null,
        part(3),
        new Float32Array(31),
        null,
      ),
    ).toThrow(RangeError);
    expect(() =>
      addon.attentionBackward(
        b,
        t,
        h,
        d,
        part(0),
        part(1),
        part(2),
        part(3),
        probs,
        null,
        part(4),
        part(4),
        buf,
        null,
      ),
    ).toThrow(RangeError);
    // Disjoint arguments, and probs left out, are fine.
    addon.attentionForward(b, t, h, d, part(0), part(1), part(2), null, part(3), null, null);
  });
});
