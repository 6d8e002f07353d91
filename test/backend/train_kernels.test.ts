import { afterEach, describe, expect, it } from "vitest";
import type { Backend, MinAlive, TopKProjection } from "../../src/backend/backend.js";
import { loadNativeAddon, loadNativeBackend, nativeThreads } from "../../src/backend/native.js";
import { tsBackend } from "../../src/backend/ts/index.js";
import { adamCoefficients } from "../../src/train/adam.js";
import { forcedCount } from "../../src/backend/ts/train_topk.js";
import { backendsUnderTest } from "./helpers.js";
import { randn, rng } from "../helpers/random.js";

// The training-step kernels: native against the TypeScript oracle. Where the oracle rounds to float32
// the native kernels must agree bit for bit; sumSquares and crossEntropy to documented tolerances.

const nativeRequired = backendsUnderTest().includes("native");

if (!nativeRequired) {
  it("CSP_ALLOW_NO_NATIVE=1 and the addon really is absent", () => {
    expect(loadNativeBackend().error).toMatch(/./);
  });
}

/** Bit patterns, so that −0 ≠ +0 and NaN = NaN of the same payload. */
function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

function expectSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const a = bits(actual);
  const e = bits(expected);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i]) throw new Error(`${what}: element ${i} is ${actual[i]}, oracle ${expected[i]}`);
  }
}

/** Normal values times a per-entry scale drawn from 10^[lo, hi]; a few exact zeros and −0. */
function wideF32(n: number, seed: number, lo = -8, hi = 3): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => {
    const u = r();
    if (u < 0.02) return 0;
    if (u < 0.03) return -0;
    return randn(r) * 10 ** (lo + (hi - lo) * r());
  });
}

function randomF32(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => randn(r) * scale);
}

if (nativeRequired) {
  const native = loadNativeBackend().backend!;
  const threadsBefore = nativeThreads();
  afterEach(() => {
    nativeThreads(threadsBefore);
  });

  /** Runs f with 1 and with 3 native threads and expects the same bits from both. */
  function threadIndependent(f: () => Float32Array, what: string): Float32Array {
    nativeThreads(1);
    const one = f();
    nativeThreads(3);
    const three = f();
    expectSameBits(three, one, `${what}: 3 threads vs 1`);
    return one;
  }

  describe("adamUpdate", () => {
    const cases = [
      { name: "recipe values", h: { lr: 1.28e-2, beta1: 0.9, beta2: 0.95, eps: 0.1 } },
      { name: "small eps, tiny lr", h: { lr: 3e-7, beta1: 0.8, beta2: 0.999, eps: 1e-8 } },
      { name: "lr 0", h: { lr: 0, beta1: 0.9, beta2: 0.95, eps: 0.1 } },
    ];
    for (const { name, h } of cases) {
      it(`is bit for bit the oracle over several steps (${name}), large and small values`, () => {
        const n = 70_001; // several chunks and a ragged tail
        const p0 = wideF32(n, 1, -6, 2);
        const m0 = wideF32(n, 2, -9, -1);
        const v0 = wideF32(n, 3, -12, -2).map(Math.abs);
        const run = (be: Backend) => {
          const [p, m, v] = [p0.slice(), m0.slice(), v0.slice()];
          for (let step = 0; step < 4; step++) {
            const g = wideF32(n, 10 + step, -10, 4);
            be.adamUpdate(p, g, m, v, adamCoefficients(h, step));
          }
          return [p, m, v];
        };
        const expected = run(tsBackend);
        const actual = run(native);
        ["p", "m", "v"].forEach((what, i) => expectSameBits(actual[i], expected[i], what));
        threadIndependent(() => run(native)[0], "p");
      });
    }

    it("extreme gradients and moments (overflow to ±inf, denormals) still match", () => {
      const g = Float32Array.from([3e38, -3e38, 1e-45, -1e-45, 1e-38, 0, -0, 65504, 1e20, -1e-20]);
      const n = g.length;
      const p0 = Float32Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * 10 ** (i - 5));
      const m0 = Float32Array.from({ length: n }, (_, i) => (i % 3 ? 1e-30 : -2e30));
      const v0 = Float32Array.from({ length: n }, (_, i) => 10 ** (2 * i - 9));
      const c = adamCoefficients({ lr: 0.5, beta1: 0.9, beta2: 0.95, eps: 1e-12 }, 0);
      const out = [tsBackend, native].map((be) => {
        const [p, m, v] = [p0.slice(), m0.slice(), v0.slice()];
        be.adamUpdate(p, g, m, v, c);
        return [p, m, v];
      });
      ["p", "m", "v"].forEach((what, i) => expectSameBits(out[1][i], out[0][i], what));
    });

    it("Float64 arrays take the oracle", () => {
      const p = Float64Array.of(1, -2);
      const q = p.slice();
      const c = adamCoefficients({ lr: 0.1, beta1: 0.9, beta2: 0.95, eps: 0.1 }, 0);
      native.adamUpdate(p, Float64Array.of(0.5, 0.25), new Float64Array(2), new Float64Array(2), c);
      tsBackend.adamUpdate(q, Float64Array.of(0.5, 0.25), new Float64Array(2), new Float64Array(2), c);
      expect(Array.from(p)).toEqual(Array.from(q));
      expect(p[0]).not.toBe(1);
    });
  });

  describe("gradient norm, division and decay", () => {
    const lengths = [0, 1, 7, 8, 8193, 100_000, 3];

    it("sumSquares is the oracle's sum to 1e-12, and the same for any thread count", () => {
      const arrays = lengths.map((n, i) => wideF32(n, 20 + i, -5, 2));
      const expected = tsBackend.sumSquares(arrays);
      nativeThreads(1);
      const one = native.sumSquares(arrays);
      nativeThreads(3);
      const three = native.sumSquares(arrays);
      expect(three).toBe(one);
      expect(Math.abs(one - expected) / expected).toBeLessThan(1e-12);
      expect(native.sumSquares([])).toBe(0);
    });

    it("sumSquares of a Float64 list is the oracle's exactly", () => {
      const arrays = [Float64Array.of(1e-3, 3), new Float32Array([2])];
      expect(native.sumSquares(arrays)).toBe(tsBackend.sumSquares(arrays));
    });

    it("divideInPlace and decayInPlace are bit for bit the oracle", () => {
      for (const scale of [1.7, 3e-7, 2.5e6]) {
        const base = lengths.map((n, i) => wideF32(n, 40 + i));
        const ts = base.map((a) => a.slice());
        const nat = base.map((a) => a.slice());
        tsBackend.divideInPlace(ts, scale);
        native.divideInPlace(nat, scale);
        nat.forEach((a, i) => expectSameBits(a, ts[i], `divide by ${scale}, array ${i}`));
        tsBackend.decayInPlace(ts, scale / 1e7);
        native.decayInPlace(nat, scale / 1e7);
        nat.forEach((a, i) => expectSameBits(a, ts[i], `decay ${scale / 1e7}, array ${i}`));
      }
    });
  });

  describe("addColumnSums (bias gradients)", () => {
    it("adds each column row by row in float32, exactly as the oracle", () => {
      for (const [n, d] of [
        [2048, 512],
        [37, 1536],
        [5, 67],
        [1, 3],
        [0, 16],
        [300, 200],
      ]) {
        const dy = wideF32(n * d, n + d, -4, 3);
        const start = randomF32(d, 7);
        const expected = start.slice();
        tsBackend.addColumnSums(dy, n, d, expected);
        const actual = threadIndependent(() => {
          const out = start.slice();
          native.addColumnSums(dy, n, d, out);
          return out;
        }, `[${n}, ${d}]`);
        expectSameBits(actual, expected, `[${n}, ${d}]`);
      }
    });
  });

  describe("maskByKept (AbsTopK backward)", () => {
    it("zeroes exactly the entries not kept", () => {
      const n = 100_003;
      const r = rng(5);
      const kept = Uint8Array.from({ length: n }, () => (r() < 0.3 ? 1 : 0));
      const dy = wideF32(n, 6);
      const expected = dy.slice();
      tsBackend.maskByKept(expected, kept, n);
      const actual = dy.slice();
      native.maskByKept(actual, kept, n);
      expectSameBits(actual, expected, "masked");
      // A size smaller than the arrays leaves the rest alone.
      const partial = dy.slice();
      native.maskByKept(partial, kept, 10);
      expectSameBits(partial.subarray(10), dy.subarray(10), "beyond size");
    });
  });

  describe("projectTopK", () => {
    type Fill = "normal" | "ties" | "zeros" | "signedZeros";
    function matrix(n: number, seed: number, fill: Fill): Float32Array {
      const r = rng(seed);
      return Float32Array.from({ length: n }, () => {
        if (fill === "ties") return (Math.floor(r() * 7) - 3) * 0.5;
        if (fill === "zeros") return r() < 0.9 ? 0 : randn(r);
        if (fill === "signedZeros") return r() < 0.5 ? (r() < 0.5 ? -0 : 0) : randn(r) * 1e-3;
        return randn(r) * 10 ** (-3 * r());
      });
    }

    function compare(p: Omit<TopKProjection, "values">, values: Float32Array, what: string): void {
      const expected = values.slice();
      const kTs = tsBackend.projectTopK({ ...p, values: expected });
      const actual = threadIndependent(() => {
        const v = values.slice();
        expect(native.projectTopK({ ...p, values: v })).toBe(kTs);
        return v;
      }, what);
      expectSameBits(actual, expected, what);
      let nnzBound = 0;
      for (const x of actual) if (x !== 0) nnzBound++;
      expect(nnzBound, `${what}: nonzeros`).toBeLessThanOrEqual(Math.min(p.k, values.length));
    }

    const shapes: { rows: number; cols: number; m?: MinAlive }[] = [
      { rows: 17, cols: 23 },
      { rows: 24, cols: 16, m: { axis: "rows", perNeuron: 4 } },
      { rows: 16, cols: 40, m: { axis: "cols", perNeuron: 3 } },
      { rows: 5, cols: 3, m: { axis: "rows", perNeuron: 6 } }, // perNeuron > width: whole rows forced
      { rows: 3, cols: 5, m: { axis: "cols", perNeuron: 6 } },
      { rows: 8, cols: 8, m: { axis: "rows", perNeuron: 0 } },
      // Large enough for the sampled bracket (≥ 131072 entries).
      { rows: 512, cols: 512 },
      { rows: 1024, cols: 256, m: { axis: "rows", perNeuron: 4 } },
      { rows: 256, cols: 1031, m: { axis: "cols", perNeuron: 4 } },
      { rows: 700, cols: 300, m: { axis: "cols", perNeuron: 2 } },
    ];
    for (const s of shapes) {
      const label = `[${s.rows}, ${s.cols}]${s.m ? ` min-alive ${s.m.axis} ×${s.m.perNeuron}` : ""}`;
      it(`${label}: the same kept set as the oracle for every k and fill`, () => {
        const n = s.rows * s.cols;
        const forced = s.m && s.m.perNeuron > 0 ? forcedCount(s.rows, s.cols, s.m) : 0;
        const ks = [forced, forced + 1, Math.floor(n / 16), Math.floor(n / 3), n - 1, n, n + 5];
        let seed = s.rows * 7 + s.cols;
        for (const fill of ["normal", "ties", "zeros", "signedZeros"] as Fill[]) {
          for (const k of ks) {
            if (k < forced) continue;
            const values = matrix(n, seed++, fill);
            compare({ rows: s.rows, cols: s.cols, k, minAlive: s.m }, values, `${label} ${fill} k=${k}`);
          }
        }
      });
    }

    it("k = 0 zeroes everything (−0 becomes +0, as the oracle writes 0)", () => {
      const values = Float32Array.from([1, -0, -2, 0, 3e-40]);
      compare({ rows: 1, cols: 5, k: 0 }, values, "k=0");
      const v = values.slice();
      native.projectTopK({ values: v, rows: 1, cols: 5, k: 0 });
      expect(Array.from(bits(v))).toEqual([0, 0, 0, 0, 0]);
    });

    it("ties at the threshold go to the lowest indices", () => {
      const v = Float32Array.from([1, -1, 1, 2, -1, 1]);
      native.projectTopK({ values: v, rows: 2, cols: 3, k: 3 });
      expect(Array.from(v)).toEqual([1, -1, 0, 2, 0, 0]);
    });

    it("min-alive on columns keeps each column's largest, ties to the lower row", () => {
      // Column 0 is tiny and tied: rows 0 and 1 win; column 1 keeps its largest (row 2).
      const v = Float32Array.from([1e-3, 5, 1e-3, 6, 1e-3, 7]);
      native.projectTopK({ values: v, rows: 3, cols: 2, k: 3, minAlive: { axis: "cols", perNeuron: 1 } });
      expect(Array.from(v)).toEqual([1e-3, 0, 0, 6, 0, 7].map(Math.fround));
    });

    it("refuses what the oracle refuses, with the same message, before writing", () => {
      const p = () => ({
        values: new Float32Array(16).fill(1),
        rows: 4,
        cols: 4,
        k: 7,
        minAlive: { axis: "rows" as const, perNeuron: 2 },
      });
      const bad = p();
      expect(() => native.projectTopK(bad)).toThrow(/min-alive forces 8 entries but only k = 7/);
      expect(Array.from(bad.values)).toEqual(new Array(16).fill(1));
      expect(() => tsBackend.projectTopK(p())).toThrow(/min-alive forces 8 entries but only k = 7/);
      expect(() => native.projectTopK({ ...p(), k: 2.5 })).toThrow(/non-negative integer/);
      expect(() => native.projectTopK({ ...p(), rows: 3 })).toThrow(/16 values for a \[3, 4\] matrix/);
    });

    it("Float64 values take the oracle", () => {
      const values = Float64Array.from(matrix(300, 3, "ties"));
      const expected = values.slice();
      const p = { rows: 20, cols: 15, k: 100, minAlive: { axis: "cols" as const, perNeuron: 2 } };
      native.projectTopK({ ...p, values });
      tsBackend.projectTopK({ ...p, values: expected });
      expect(Array.from(values)).toEqual(Array.from(expected));
    });
  });

  describe("crossEntropy", () => {
    function logitsOf(n: number, v: number, seed: number, spread: number): Float32Array {
      const r = rng(seed);
      return Float32Array.from({ length: n * v }, () => randn(r) * spread);
    }

    function targetsOf(n: number, v: number, seed: number, ignoreEvery: number): Int32Array {
      const r = rng(seed);
      return Int32Array.from({ length: n }, (_, i) =>
        ignoreEvery > 0 && i % ignoreEvery === ignoreEvery - 1 ? -1 : Math.floor(r() * v),
      );
    }

    for (const [n, v, spread, ignoreEvery, scale] of [
      [64, 2048, 3, 16, 1],
      [33, 67, 1, 4, 0.5],
      [8, 7, 10, 0, 2],
      [16, 512, 400, 3, 1], // exp underflows (l − max < −708) for most entries
    ] as const) {
      it(`[${n}, ${v}] spread ${spread}: loss to 1e-12, gradient to float32 rounding`, () => {
        const logits = logitsOf(n, v, n + v, spread);
        const targets = targetsOf(n, v, n * v, ignoreEvery);
        const dTs = new Float32Array(n * v).fill(9);
        const dNative = new Float32Array(n * v).fill(9);
        const ts = tsBackend.crossEntropy(logits, targets, v, dTs, scale);
        const nat = native.crossEntropy(logits, targets, v, dNative, scale);
        expect(nat.count).toBe(ts.count);
        expect(Math.abs(nat.loss - ts.loss) / ts.loss).toBeLessThan(1e-12);
        for (let i = 0; i < n * v; i++) {
          const tol = 2 ** -23 * Math.abs(dTs[i]) + 1e-45;
          if (!(Math.abs(dNative[i] - dTs[i]) <= tol))
            throw new Error(`dLogits[${i}] = ${dNative[i]}, oracle ${dTs[i]}`);
        }
        const noGrad = native.crossEntropy(logits, targets, v, undefined, scale);
        expect(noGrad.loss).toBe(nat.loss);
        threadIndependent(() => {
          const d = new Float32Array(n * v);
          native.crossEntropy(logits, targets, v, d, scale);
          return d;
        }, "dLogits");
      });
    }

    it("all rows ignored: NaN loss, zero gradient", () => {
      const d = new Float32Array(6).fill(1);
      const r = native.crossEntropy(logitsOf(2, 3, 1, 1), Int32Array.of(-1, -1), 3, d, 1);
      expect(r.count).toBe(0);
      expect(r.loss).toBeNaN();
      expect(Array.from(d)).toEqual([0, 0, 0, 0, 0, 0]);
    });

    it("matches a hand computation", () => {
      // logits (0, ln 3): softmax (1/4, 3/4); target 1 → loss ln(4/3); gradient (1/4, −1/4).
      const d = new Float32Array(2);
      const r = native.crossEntropy(Float32Array.of(0, Math.log(3)), Int32Array.of(1), 2, d, 1);
      expect(r.loss).toBeCloseTo(Math.log(4 / 3), 6);
      expect(d[0]).toBeCloseTo(0.25, 6);
      expect(d[1]).toBeCloseTo(-0.25, 6);
    });

    it("Float64 logits take the oracle", () => {
      const logits = Float64Array.from(logitsOf(4, 5, 2, 1));
      const targets = Int32Array.of(0, 4, -1, 2);
      const a = new Float64Array(20);
      const b = new Float64Array(20);
      expect(native.crossEntropy(logits, targets, 5, a, 1)).toEqual(
        tsBackend.crossEntropy(logits, targets, 5, b, 1),
      );
      expect(Array.from(a)).toEqual(Array.from(b));
    });
  });

  describe("argument validation of the training kernels", () => {
    const a = () => loadNativeAddon().addon!;

    it("rejects wrong types and sizes before writing", () => {
      const f = (n: number) => new Float32Array(n);
      expect(() => a().adamUpdate(f(4), f(3), f(4), f(4), 0.9, 0.9, 0.1, 0.1, 1, 1, 0.1)).toThrow(RangeError);
      const p = f(4);
      expect(() => a().adamUpdate(p, f(4), p, f(4), 0.9, 0.9, 0.1, 0.1, 1, 1, 0.1)).toThrow(
        /must not share memory/,
      );
      expect(() => a().sumSquares([f(2), new Float64Array(2) as unknown as Float32Array])).toThrow(
        /arrays\[1\] must be a Float32Array/,
      );
      expect(() => a().addColumnSums(f(5), 2, 3, f(3))).toThrow(RangeError);
      expect(() => a().maskByKept(f(4), new Uint8Array(3), 4)).toThrow(RangeError);
      expect(() => a().projectTopK(f(15), 4, 4, 3, 0, 0)).toThrow(RangeError);
      expect(() => a().projectTopK(f(16), 4, 4, 3, 3, 0)).toThrow(/axis/);
      expect(() => a().crossEntropy(f(6), Int32Array.of(0, 3), 3, null, 1)).toThrow(
        /targets\[1\] = 3 is neither -1 nor in \[0, 3\)/,
      );
      const d = f(6).fill(5);
      expect(() => a().crossEntropy(f(6), Int32Array.of(0, -2), 3, d, 1)).toThrow(RangeError);
      expect(Array.from(d)).toEqual(new Array(6).fill(5));
    });
  });
}
