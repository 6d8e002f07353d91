import type { CsrMatrix } from "../../tensor/sparse.js";

/** Y[m, w.rows] = X[m, w.cols]·Wᵀ (+ Y). */
export function spmmNTTs(
  m: number,
  x: Float32Array,
  w: CsrMatrix,
  y: Float32Array,
  accumulate: boolean,
  bias?: Float32Array,
): void {
  const { rows, cols, rowPtr, colIdx, values } = w;
  for (let i = 0; i < m; i++) {
    const xi = i * cols;
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let p = rowPtr[r]; p < rowPtr[r + 1]; p++) s += values[p] * x[xi + colIdx[p]];
      // Rounded like the native kernel: the sum in float32, then the bias added to it.
      if (bias) s = Math.fround(s) + bias[r];
      y[i * rows + r] = accumulate ? y[i * rows + r] + s : s;
    }
  }
}

/** DX[m, w.cols] = DY[m, w.rows]·W (+ DX). */
export function spmmNNTs(
  m: number,
  dy: Float32Array,
  w: CsrMatrix,
  dx: Float32Array,
  accumulate: boolean,
): void {
  const { rows, cols, rowPtr, colIdx, values } = w;
  if (!accumulate) dx.fill(0, 0, m * cols);
  for (let i = 0; i < m; i++) {
    const xi = i * cols;
    for (let r = 0; r < rows; r++) {
      const g = dy[i * rows + r];
      if (g === 0) continue;
      for (let p = rowPtr[r]; p < rowPtr[r + 1]; p++) dx[xi + colIdx[p]] += g * values[p];
    }
  }
}

/** out[p] = Σ_i DY[i, r]·X[i, c] for each nonzero p = (r, c) of the pattern. */
export function sddmmTs(
  m: number,
  dy: Float32Array,
  x: Float32Array,
  pattern: CsrMatrix,
  out: Float32Array,
): void {
  const { rows, cols, rowPtr, colIdx } = pattern;
  out.fill(0, rowPtr[0], rowPtr[rows]);
  for (let i = 0; i < m; i++) {
    for (let r = 0; r < rows; r++) {
      const g = dy[i * rows + r];
      if (g === 0) continue;
      for (let p = rowPtr[r]; p < rowPtr[r + 1]; p++) out[p] += g * x[i * cols + colIdx[p]];
    }
  }
}
