import { beforeAll, describe, expect, it } from "vitest";
import { getBackend, setBackend } from "../../src/backend/index.js";
import type { CsrMatrix } from "../../src/tensor/sparse.js";
import { backendsUnderTest, denseOf, expectClose, randomCsr, randomF32, type Expected } from "./helpers.js";

// Dense float64 references: the sparse kernels must agree with the plain matrix products of the
// densified weight.

/** Y[m, rows] = X[m, cols]·Wᵀ (+ Y0). */
function denseNT(m: number, x: Float32Array, w: CsrMatrix, y0: Float32Array | null): Expected {
  const wd = denseOf(w);
  const value = new Float64Array(m * w.rows);
  const scale = new Float64Array(m * w.rows);
  for (let i = 0; i < m; i++) {
    for (let r = 0; r < w.rows; r++) {
      let s = y0 ? y0[i * w.rows + r] : 0;
      let abs = Math.abs(s);
      for (let c = 0; c < w.cols; c++) {
        const t = x[i * w.cols + c] * wd[r * w.cols + c];
        s += t;
        abs += Math.abs(t);
      }
      value[i * w.rows + r] = s;
      scale[i * w.rows + r] = abs;
    }
  }
  return { value, scale, terms: w.cols + 1 };
}

/** DX[m, cols] = DY[m, rows]·W (+ DX0). */
function denseNN(m: number, dy: Float32Array, w: CsrMatrix, dx0: Float32Array | null): Expected {
  const wd = denseOf(w);
  const value = new Float64Array(m * w.cols);
  const scale = new Float64Array(m * w.cols);
  for (let i = 0; i < m; i++) {
    for (let c = 0; c < w.cols; c++) {
      let s = dx0 ? dx0[i * w.cols + c] : 0;
      let abs = Math.abs(s);
      for (let r = 0; r < w.rows; r++) {
        const t = dy[i * w.rows + r] * wd[r * w.cols + c];
        s += t;
        abs += Math.abs(t);
      }
      value[i * w.cols + c] = s;
      scale[i * w.cols + c] = abs;
    }
  }
  return { value, scale, terms: w.rows + 1 };
}

/** out[p] = (DYᵀ·X)[r, c] at each nonzero p = (r, c). */
function denseSddmm(m: number, dy: Float32Array, x: Float32Array, w: CsrMatrix): Expected {
  const nnz = w.rowPtr[w.rows];
  const value = new Float64Array(nnz);
  const scale = new Float64Array(nnz);
  for (let r = 0; r < w.rows; r++) {
    for (let p = w.rowPtr[r]; p < w.rowPtr[r + 1]; p++) {
      const c = w.colIdx[p];
      let s = 0;
      let abs = 0;
      for (let i = 0; i < m; i++) {
        const t = dy[i * w.rows + r] * x[i * w.cols + c];
        s += t;
        abs += Math.abs(t);
      }
      value[p] = s;
      scale[p] = abs;
    }
  }
  return { value, scale, terms: m };
}

interface Case {
  m: number;
  rows: number;
  cols: number;
  density: number;
  emptyRows?: number[];
  why: string;
}

const CASES: Case[] = [
  { m: 1, rows: 3, cols: 17, density: 0.5, why: "one token" },
  { m: 3, rows: 17, cols: 65, density: 0.2, why: "fewer tokens than a SIMD vector" },
  {
    m: 17,
    rows: 65,
    cols: 130,
    density: 0.1,
    emptyRows: [0, 5, 64],
    why: "empty first, middle and last rows",
  },
  { m: 65, rows: 130, cols: 17, density: 0.3, why: "many more outputs than inputs" },
  { m: 130, rows: 17, cols: 3, density: 0.5, why: "narrow inputs" },
  { m: 65, rows: 33, cols: 1, density: 0.7, why: "a single input column" },
  { m: 130, rows: 65, cols: 65, density: 0, why: "nnz = 0" },
  { m: 300, rows: 260, cols: 1030, density: 0.03, why: "many token blocks, run on two threads" },
  { m: 40, rows: 700, cols: 900, density: 0.04, why: "one token block split by rows on two threads" },
  { m: 64, rows: 2, cols: 4096, density: 0.5, why: "wide inputs and dense rows" },
  { m: 4, rows: 700, cols: 900, density: 0.25, why: "few tokens, large enough for two threads" },
];

for (const name of backendsUnderTest()) {
  describe(`sparse kernels on the ${name} backend`, () => {
    beforeAll(() => {
      setBackend(name);
    });

    for (const [index, { m, rows, cols, density, emptyRows, why }] of CASES.entries()) {
      const shape = `m=${m} W=${rows}x${cols} density ${density} (${why})`;
      const seed = 1000 * (index + 1);
      const w = randomCsr(rows, cols, density, seed, emptyRows);

      for (const accumulate of [false, true]) {
        it(`spmmNT ${accumulate ? "accumulating " : ""}matches X·Wᵀ: ${shape}`, () => {
          const x = randomF32(m * cols, seed + 1);
          const y = randomF32(m * rows, seed + 2);
          const expected = denseNT(m, x, w, accumulate ? y.slice() : null);
          getBackend().spmmNT(m, x, w, y, accumulate);
          expectClose(y, expected, `spmmNT ${shape}`);
        });

        it(`spmmNT with a bias ${accumulate ? "accumulating " : ""}matches X·Wᵀ + b: ${shape}`, () => {
          const x = randomF32(m * cols, seed + 1);
          const y = randomF32(m * rows, seed + 2);
          const bias = randomF32(rows, seed + 5);
          // The bias enters the reference as one more term of every row: Y0 + b.
          const y0 = new Float32Array(m * rows);
          for (let i = 0; i < m; i++)
            for (let r = 0; r < rows; r++) y0[i * rows + r] = (accumulate ? y[i * rows + r] : 0) + bias[r];
          const expected = denseNT(m, x, w, y0);
          getBackend().spmmNT(m, x, w, y, accumulate, bias);
          expectClose(y, expected, `spmmNT+bias ${shape}`);
        });

        it(`spmmNN ${accumulate ? "accumulating " : ""}matches DY·W: ${shape}`, () => {
          const dy = randomF32(m * rows, seed + 3);
          const dx = randomF32(m * cols, seed + 4);
          const expected = denseNN(m, dy, w, accumulate ? dx.slice() : null);
          getBackend().spmmNN(m, dy, w, dx, accumulate);
          expectClose(dx, expected, `spmmNN ${shape}`);
        });
      }

      it(`sddmm matches (DYᵀ·X) at the pattern: ${shape}`, () => {
        const dy = randomF32(m * rows, seed + 5);
        const x = randomF32(m * cols, seed + 6);
        const out = randomF32(w.rowPtr[rows], seed + 7);
        getBackend().sddmm(m, dy, x, w, out);
        expectClose(out, denseSddmm(m, dy, x, w), `sddmm ${shape}`);
      });
    }

    it("the empty-rows case really has empty rows and the nnz = 0 case no nonzeros", () => {
      const w = randomCsr(65, 130, 0.1, 3000, [0, 5, 64]);
      for (const r of [0, 5, 64]) expect(w.rowPtr[r + 1] - w.rowPtr[r]).toBe(0);
      expect(w.rowPtr[1 + 1] - w.rowPtr[1]).toBeGreaterThan(0);
      expect(randomCsr(65, 65, 0, 7000).rowPtr[65]).toBe(0);
    });

    it("zero tokens write nothing for spmm and zeros for sddmm", () => {
      const w = randomCsr(5, 7, 0.5, 42);
      const y = randomF32(4, 1);
      const before = y.slice();
      getBackend().spmmNT(0, new Float32Array(0), w, y, false);
      getBackend().spmmNN(0, new Float32Array(0), w, y, false);
      expect(y).toEqual(before);
      const out = randomF32(w.rowPtr[5], 2);
      getBackend().sddmm(0, new Float32Array(0), new Float32Array(0), w, out);
      expect(Array.from(out)).toEqual(new Array(out.length).fill(0));
    });

    it("duplicate column indices in a row add up", () => {
      const w: CsrMatrix = {
        rows: 2,
        cols: 3,
        rowPtr: Int32Array.from([0, 3, 4]),
        colIdx: Int32Array.from([1, 1, 2, 0]),
        values: Float32Array.from([2, 3, 1, 4]),
      };
      const x = Float32Array.from([1, 10, 100]); // one token
      const y = new Float32Array(2);
      getBackend().spmmNT(1, x, w, y, false);
      expect(Array.from(y)).toEqual([2 * 10 + 3 * 10 + 100, 4]);
      const dx = new Float32Array(3);
      getBackend().spmmNN(1, Float32Array.from([1, 2]), w, dx, false);
      expect(Array.from(dx)).toEqual([8, 5, 1]);
    });
  });
}

describe("dense → CSR conversion: native agrees with the TypeScript oracle", () => {
  const backends = backendsUnderTest();
  it("same CSR and nonzero count, with -0, empty rows and an all-zero matrix", () => {
    const rows = 37;
    const cols = 53;
    const dense = randomF32(rows * cols, 77);
    for (let i = 0; i < dense.length; i++) if (i % 3 !== 0) dense[i] = i % 7 === 0 ? -0 : 0;
    dense.fill(0, 5 * cols, 7 * cols);
    for (const name of backends) {
      setBackend(name);
      const be = getBackend();
      const m = be.csrFromDense(dense, rows, cols);
      expect(be.countNonzeros(dense), name).toBe(m.rowPtr[rows]);
      expect(Array.from(denseOf(m)), name).toEqual(Array.from(dense, (v) => v + 0));
      expect(m.rowPtr[6], name).toBe(m.rowPtr[5]);
      expect(m.rowPtr[7], name).toBe(m.rowPtr[5]);
      const zero = be.csrFromDense(new Float32Array(12), 3, 4);
      expect(zero.rowPtr, name).toEqual(new Int32Array(4));
      expect(zero.colIdx.length, name).toBe(0);
    }
    setBackend("ts");
    const a = getBackend().csrFromDense(dense, rows, cols);
    for (const name of backends) {
      setBackend(name);
      expect(getBackend().csrFromDense(dense, rows, cols), name).toEqual(a);
    }
  });

  it("a matrix of several parallel chunks, 1/64 dense, with NaN, -0 and rows that end mid-vector", () => {
    const rows = 301;
    const cols = 517; // 155,617 entries: more than two scan chunks; 517 = 32·16 + 5
    const values = randomF32(rows * cols, 78);
    const dense = new Float32Array(rows * cols);
    for (let i = 0; i < dense.length; i++) {
      if (i % 64 === 5) dense[i] = values[i];
      else if (i % 97 === 0) dense[i] = -0;
    }
    dense[3 * cols + 516] = NaN; // the last column of a row, in its scalar tail
    dense[200 * cols + 17] = NaN;
    dense.fill(0, 100 * cols, 140 * cols);
    setBackend("ts");
    const expected = getBackend().csrFromDense(dense, rows, cols);
    expect(expected.rowPtr[rows]).toBeGreaterThan(2000);
    for (const name of backends) {
      setBackend(name);
      const be = getBackend();
      expect(be.countNonzeros(dense), name).toBe(expected.rowPtr[rows]);
      expect(be.csrFromDense(dense, rows, cols), name).toEqual(expected);
    }
  });
});
