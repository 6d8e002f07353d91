import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getBackend, setBackend } from "../../src/backend/index.js";
import { nativeThreads } from "../../src/backend/native.js";
import {
  backendsUnderTest,
  expectClose,
  GEMM_TRANSPOSES,
  naiveGemm,
  nativeUnderTest,
  randomF32,
} from "./helpers.js";

// gemmSparseA: C (+)= op(A)·op(B) over A's nonzeros, against a float64 reference of the dense product,
// on both backends and in gemm's four layouts; then the native kernel's own promises (thread count,
// zeros skipped).

/** A [count] with about `density` of its entries nonzero (the rest exactly 0), seeded. */
function sparse(count: number, density: number, seed: number): Float32Array {
  const values = randomF32(count, seed);
  const keep = randomF32(count, seed + 1);
  return values.map((v, i) => (Math.abs(keep[i]) < density ? v : 0));
}

// [m, n, k]: whole strips and blocks; rows not a multiple of the row chunk and columns with a short
// strip and a partial vector; a single inner index; a single column; an inner dimension longer than
// one inner block.
const SHAPES: [number, number, number][] = [
  [64, 128, 64],
  [45, 100, 37],
  [33, 17, 1],
  [70, 1, 50],
  [20, 40, 700],
];

for (const name of backendsUnderTest()) {
  describe(`gemmSparseA on the ${name} backend`, () => {
    beforeAll(() => void setBackend(name));

    for (const [transA, transB] of GEMM_TRANSPOSES) {
      for (const shape of SHAPES) {
        const [m, n, k] = shape;
        for (const accumulate of [true, false]) {
          it(`transA ${transA}, transB ${transB}, ${m}×${n}×${k}, A 25% nonzero${accumulate ? ", accumulating" : ""}`, () => {
            const a = sparse(m * k, 0.25, m + k);
            const b = randomF32(k * n, n + 7);
            const c = randomF32(m * n, 99);
            const expected = naiveGemm(transA, transB, m, n, k, a, b, accumulate ? c : null);
            getBackend().gemmSparseA(transA, transB, m, n, k, a, b, c, accumulate);
            expectClose(c, expected, `${name} ${m}×${n}×${k}`);
          });
        }
      }
    }

    it("an all-zero A leaves C as it was when accumulating, bit for bit, and writes zeros when not", () => {
      const c = randomF32(20 * 30, 5);
      const before = c.slice();
      const zeroA = (accumulate: boolean) =>
        getBackend().gemmSparseA(
          true,
          false,
          20,
          30,
          40,
          new Float32Array(40 * 20),
          randomF32(40 * 30, 6),
          c,
          accumulate,
        );
      zeroA(true);
      expect(c).toEqual(before);
      zeroA(false);
      expect(c).toEqual(new Float32Array(20 * 30));
    });
  });
}

describe("gemmSparseA, native: what the kernel promises", () => {
  const native = nativeUnderTest();
  if (!native) return;
  const saved = nativeThreads();
  afterAll(() => nativeThreads(saved));

  for (const transA of [true, false]) {
    it(`the same bits with 1, 2 and 3 threads (transA ${transA})`, () => {
      const [m, n, k] = [200, 150, 300];
      const a = sparse(m * k, 0.25, 11);
      const b = randomF32(k * n, 12);
      const start = randomF32(m * n, 13);
      const run = (threads: number) => {
        nativeThreads(threads);
        const c = start.slice();
        native.gemmSparseA(transA, false, m, n, k, a, b, c, true);
        return c;
      };
      const one = run(1);
      expect(one).not.toEqual(start);
      expect(run(2)).toEqual(one);
      expect(run(3)).toEqual(one);
    });
  }

  it("a zero of A contributes nothing, even against a non-finite B (a dense product gives NaN)", () => {
    // The weight-gradient form dW += dYᵀ·X: token 1 has dY = 0 in both rows and X = [NaN, ∞, −∞].
    const [n, rows, cols] = [4, 2, 3];
    const dy = Float32Array.from([1, 2, 0, 0, 3, 0, 0, -1]);
    const x = Float32Array.from([1, 2, 3, NaN, Infinity, -Infinity, 4, 5, 6, 7, 8, 9]);
    const dw = new Float32Array(rows * cols);
    native.gemmSparseA(true, false, rows, cols, n, dy, x, dw, true);
    // Row 0: 1·x0 + 3·x2; row 1: 2·x0 − x3.
    expect(Array.from(dw)).toEqual([13, 17, 21, -5, -4, -3]);
    const dense = new Float32Array(rows * cols);
    native.gemm(true, false, rows, cols, n, dy, x, dense, true);
    expect(dense.some((v) => Number.isNaN(v))).toBe(true);
  });

  it("each entry is one FMA chain in increasing p: 1 + 2⁻²⁴ + 2⁻²⁴ rounds up only in that order", () => {
    // C = [1]; A = [1, 1] (p = 0, 1), B = [2⁻²⁴, 2⁻²⁴]: fl(fl(1 + 2⁻²⁴) + 2⁻²⁴) = 1 (ties to even,
    // twice), while summing the two small terms first would give 1 + 2⁻²³.
    const tiny = 2 ** -24;
    const c = Float32Array.from([1]);
    native.gemmSparseA(
      false,
      false,
      1,
      1,
      2,
      Float32Array.from([1, 1]),
      Float32Array.from([tiny, tiny]),
      c,
      true,
    );
    expect(c[0]).toBe(1);
  });
});
