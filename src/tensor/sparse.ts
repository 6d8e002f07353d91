/**
 * Compressed sparse row storage of a [rows, cols] matrix. In the engine a weight W stored PyTorch-style
 * as [out, in] is held as CSR with rows = out features, so that y = x·Wᵀ walks each output's inputs.
 */
export interface CsrMatrix {
  rows: number;
  cols: number;
  /** rowPtr[r]..rowPtr[r+1] index the nonzeros of row r; length rows + 1. */
  rowPtr: Int32Array;
  /** Column of each nonzero, ascending within a row; length nnz. */
  colIdx: Int32Array;
  values: Float32Array;
}

/** Entries of `data` that are not zero (-0 counts as zero): the nonzero count of its CSR. */
export function countNonzero(data: ArrayLike<number>): number {
  let nnz = 0;
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) nnz++;
  return nnz;
}

export function csrFromDense(dense: ArrayLike<number>, rows: number, cols: number): CsrMatrix {
  let nnz = 0;
  for (let i = 0; i < rows * cols; i++) if (dense[i] !== 0) nnz++;
  const rowPtr = new Int32Array(rows + 1);
  const colIdx = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  let p = 0;
  for (let r = 0; r < rows; r++) {
    rowPtr[r] = p;
    for (let c = 0; c < cols; c++) {
      const v = dense[r * cols + c];
      if (v !== 0) {
        colIdx[p] = c;
        values[p] = v;
        p++;
      }
    }
  }
  rowPtr[rows] = p;
  return { rows, cols, rowPtr, colIdx, values };
}

export function csrToDense(m: CsrMatrix): Float32Array {
  const out = new Float32Array(m.rows * m.cols);
  for (let r = 0; r < m.rows; r++) {
    for (let p = m.rowPtr[r]; p < m.rowPtr[r + 1]; p++) out[r * m.cols + m.colIdx[p]] = m.values[p];
  }
  return out;
}

/**
 * Rows [r0, r0 + count) of m as a view: rowPtr is a subarray whose offsets still index m's colIdx and
 * values (so rowPtr[0] may be > 0, which every kernel accepts). Nothing is copied.
 */
export function csrRowView(m: CsrMatrix, r0: number, count: number): CsrMatrix {
  if (r0 < 0 || count < 0 || r0 + count > m.rows)
    throw new RangeError(`csrRowView: rows [${r0}, ${r0 + count}) outside [0, ${m.rows})`);
  return {
    rows: count,
    cols: m.cols,
    rowPtr: m.rowPtr.subarray(r0, r0 + count + 1),
    colIdx: m.colIdx,
    values: m.values,
  };
}

/** The nonzeros of m (of its rows only, for a row view). */
export function csrNnz(m: CsrMatrix): number {
  return m.rowPtr[m.rows] - m.rowPtr[0];
}
