import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getBackend, setBackend } from "../../src/backend/index.js";
import { nativeThreads } from "../../src/backend/native.js";
import { backendsUnderTest, expectClose, nativeUnderTest, randomF32, type Expected } from "./helpers.js";

// addWeightGradSparseDy: DW += DYᵀ·X over DY's nonzeros, against a float64 reference of the dense
// product, on both backends; then the native kernel's own promises (thread count, zeros skipped).

/** DY [n, rows] with about `density` of its entries nonzero (the rest exactly 0), seeded. */
function sparseDy(n: number, rows: number, density: number, seed: number): Float32Array {
  const values = randomF32(n * rows, seed);
  const keep = randomF32(n * rows, seed + 1);
  return values.map((v, i) => (Math.abs(keep[i]) < density ? v : 0));
}

/** DW0 + DYᵀ·X in float64, with the scale of the terms for the tolerance. */
function denseReference(
  n: number,
  rows: number,
  cols: number,
  dy: Float32Array,
  x: Float32Array,
  dw0: Float32Array,
): Expected {
  const value = new Float64Array(rows * cols);
  const scale = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      let s = dw0[r * cols + c];
      let abs = Math.abs(s);
      for (let t = 0; t < n; t++) {
        const term = dy[t * rows + r] * x[t * cols + c];
        s += term;
        abs += Math.abs(term);
      }
      value[r * cols + c] = s;
      scale[r * cols + c] = abs;
    }
  }
  return { value, scale, terms: n + 1 };
}

// Shapes: whole tiles; rows not a multiple of the row block and columns with a short tile and a
// partial vector; one token; a single column.
const SHAPES: [number, number, number][] = [
  [64, 64, 128],
  [37, 45, 100],
  [1, 33, 17],
  [50, 70, 1],
];

for (const name of backendsUnderTest()) {
  describe(`addWeightGradSparseDy on the ${name} backend`, () => {
    beforeAll(() => void setBackend(name));

    for (const [n, rows, cols] of SHAPES) {
      it(`adds DYᵀ·X to DW: n ${n}, ${rows}×${cols}, DY 25% nonzero`, () => {
        const dy = sparseDy(n, rows, 0.25, n + rows);
        const x = randomF32(n * cols, cols + 7);
        const dw = randomF32(rows * cols, 99);
        const expected = denseReference(n, rows, cols, dy, x, dw);
        getBackend().addWeightGradSparseDy(n, dy, x, rows, cols, dw);
        expectClose(dw, expected, `${name} ${n}×${rows}×${cols}`);
      });
    }

    it("an all-zero DY leaves DW as it was, bit for bit", () => {
      const dw = randomF32(20 * 30, 5);
      const before = dw.slice();
      getBackend().addWeightGradSparseDy(40, new Float32Array(40 * 20), randomF32(40 * 30, 6), 20, 30, dw);
      expect(dw).toEqual(before);
    });
  });
}

describe("addWeightGradSparseDy, native: what the kernel promises", () => {
  const native = nativeUnderTest();
  if (!native) return;
  const saved = nativeThreads();
  afterAll(() => nativeThreads(saved));

  it("the same bits with 1, 2 and 3 threads", () => {
    const [n, rows, cols] = [300, 200, 150];
    const dy = sparseDy(n, rows, 0.25, 11);
    const x = randomF32(n * cols, 12);
    const start = randomF32(rows * cols, 13);
    const run = (threads: number) => {
      nativeThreads(threads);
      const dw = start.slice();
      native.addWeightGradSparseDy(n, dy, x, rows, cols, dw);
      return dw;
    };
    const one = run(1);
    expect(one).not.toEqual(start);
    expect(run(2)).toEqual(one);
    expect(run(3)).toEqual(one);
  });

  it("a zero of DY contributes nothing, even against a non-finite X (a dense product gives NaN)", () => {
    const [n, rows, cols] = [4, 2, 3];
    // Token 1 has DY = 0 in both rows and X = [NaN, ∞, −∞]; the others are finite.
    const dy = Float32Array.from([1, 2, 0, 0, 3, 0, 0, -1]);
    const x = Float32Array.from([1, 2, 3, NaN, Infinity, -Infinity, 4, 5, 6, 7, 8, 9]);
    const dw = new Float32Array(rows * cols);
    native.addWeightGradSparseDy(n, dy, x, rows, cols, dw);
    // Row 0: 1·x0 + 3·x2; row 1: 2·x0 − x3.
    expect(Array.from(dw)).toEqual([13, 17, 21, -5, -4, -3]);
    const dense = new Float32Array(rows * cols);
    native.gemm(true, false, rows, cols, n, dy, x, dense, true);
    expect(dense.some((v) => Number.isNaN(v))).toBe(true);
  });
});
