import { describe, expect, it } from "vitest";
import { sparseWeightRows, transposeCsr } from "../../src/model/sparse_weights.js";
import { csrFromDense, csrNnz, csrRowView, csrToDense } from "../../src/tensor/sparse.js";
import { BACKENDS, useBackend } from "../helpers/backends.js";
import { getBackend } from "../../src/backend/index.js";
import { randomCsr, randomF32 } from "../backend/helpers.js";

// Row views of a CSR (c_attn's q, k and v rows): the same rows as the whole matrix, nothing copied,
// and the sparse product over a view gives the whole product's columns bit for bit.

describe("CSR row views", () => {
  const w = randomCsr(12, 9, 0.4, 5);
  const dense = csrToDense(w);

  it("a view holds the matrix's rows [r0, r0 + count) and shares its arrays", () => {
    const view = csrRowView(w, 4, 5);
    expect(view.rows).toBe(5);
    expect(view.rowPtr[0]).toBe(w.rowPtr[4]);
    expect(view.colIdx).toBe(w.colIdx);
    expect(Array.from(csrToDense(view))).toEqual(Array.from(dense.subarray(4 * 9, 9 * 9)));
    expect(() => csrRowView(w, 10, 3)).toThrow(/rows \[10, 13\) outside \[0, 12\)/);
  });

  it("a view transposes and counts its nonzeros as the rows cut from the dense matrix", () => {
    const view = csrRowView(w, 4, 5);
    const cut = csrFromDense(dense.subarray(4 * 9, 9 * 9), 5, 9);
    expect(csrNnz(view)).toBe(w.rowPtr[9] - w.rowPtr[4]);
    expect(csrNnz(view)).toBe(csrNnz(cut));
    expect(transposeCsr(view)).toEqual(transposeCsr(cut));
  });

  it("a sparse weight's rows transpose like the rows cut from the dense matrix", () => {
    const part = sparseWeightRows({ csr: w, transposed: () => transposeCsr(w) }, 6, 6);
    expect(part.transposed()).toEqual(transposeCsr(csrFromDense(dense.subarray(6 * 9), 6, 9)));
  });
});

for (const name of BACKENDS) {
  describe(`spmmNT over row views (${name} backend)`, () => {
    it("each part's product equals those columns of the whole product, bit for bit", () => {
      useBackend(name);
      const [m, rows, cols] = [40, 3 * 48, 70];
      const w = randomCsr(rows, cols, 0.1, 17);
      const x = randomF32(m * cols, 18);
      const bias = randomF32(rows, 19);
      const whole = new Float32Array(m * rows);
      getBackend().spmmNT(m, x, w, whole, false, bias);
      for (const r0 of [0, 48, 96]) {
        const part = new Float32Array(m * 48);
        getBackend().spmmNT(m, x, csrRowView(w, r0, 48), part, false, bias.subarray(r0, r0 + 48));
        for (let i = 0; i < m; i++)
          expect(part.subarray(i * 48, (i + 1) * 48)).toEqual(
            whole.subarray(i * rows + r0, i * rows + r0 + 48),
          );
      }
    });
  });
}
