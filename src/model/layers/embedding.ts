import type { CsrMatrix } from "../../tensor/sparse.js";
import type { FloatArray } from "../../tensor/tensor.js";

/** out[n, :] = table[ids[n], :] for a table [rows, d]; optionally into a column slice of wider rows. */
export function embeddingForward(
  table: FloatArray,
  d: number,
  ids: Int32Array,
  out: FloatArray,
  outStride = d,
  outOffset = 0,
): void {
  for (let n = 0; n < ids.length; n++) {
    const src = ids[n] * d;
    const dst = n * outStride + outOffset;
    for (let j = 0; j < d; j++) out[dst + j] = table[src + j];
  }
}

/** out[n, :] = table[ids[n], :] for a table held as CSR [rows, d]; out must be zero (rows are scattered). */
export function embeddingRowsFromCsr(table: CsrMatrix, ids: Int32Array, out: FloatArray): void {
  const d = table.cols;
  for (let n = 0; n < ids.length; n++) {
    const dst = n * d;
    for (let p = table.rowPtr[ids[n]]; p < table.rowPtr[ids[n] + 1]; p++)
      out[dst + table.colIdx[p]] = table.values[p];
  }
}
