import { RMS_EPS, type BlockCopy, type RmsNormBackwardArgs, type RmsNormForwardArgs } from "../backend.js";
import type { FloatArray } from "../../tensor/tensor.js";

// Row-wise kernels of the forward/backward passes: residual adds, RMSNorm, table rows gathered into
// logits or scattered into embedding gradients, column blocks of fused projections. The TypeScript
// oracle of the native rows kernels (src/native/rows.cc).

/** out = a + b over `size` entries (out may be a or b). */
export function addInto(a: FloatArray, b: FloatArray, out: FloatArray, size: number): void {
  for (let i = 0; i < size; i++) out[i] = a[i] + b[i];
}

/** out[r, :] += table[ids[r], :] for rows of `width` (the bigram table's logits). */
export function addGatheredRows(table: FloatArray, ids: Int32Array, width: number, out: FloatArray): void {
  for (let r = 0; r < ids.length; r++) {
    const src = ids[r] * width;
    const dst = r * width;
    for (let j = 0; j < width; j++) out[dst + j] += table[src + j];
  }
}

/** table[ids[r], :] += src[r, :] in row order, skipping rows whose id is skipId (embedding gradients). */
export function scatterAddRows(
  src: FloatArray,
  ids: Int32Array,
  width: number,
  table: FloatArray,
  skipId = -1,
): void {
  for (let r = 0; r < ids.length; r++) {
    if (ids[r] === skipId) continue;
    const dst = ids[r] * width;
    const from = r * width;
    for (let j = 0; j < width; j++) table[dst + j] += src[from + j];
  }
}

/** A [rows, width] block copied between row-major arrays of other widths (see BlockCopy). */
export function copyBlock(o: BlockCopy): void {
  for (let r = 0; r < o.rows; r++) {
    const from = r * o.srcStride + o.srcOffset;
    o.dst.set(o.src.subarray(from, from + o.width), r * o.dstStride + o.dstOffset);
  }
}

/**
 * y[n,:] = x[n,:] / sqrt(mean(x[n,:]²) + eps) · w, for x [N, D] (optionally a column slice: rows of
 * stride `xStride` starting at `xOffset`, written to out rows of stride `outStride` at `outOffset`).
 * Saves rstd [N] for the backward.
 */
export function rmsNormForward(o: RmsNormForwardArgs): void {
  const { x, w, n, d, out, rstd } = o;
  const xs = o.xStride ?? d;
  const os = o.outStride ?? d;
  const oo = o.outOffset ?? 0;
  for (let i = 0; i < n; i++) {
    let ss = 0;
    for (let j = 0; j < d; j++) ss += x[i * xs + j] * x[i * xs + j];
    const r = 1 / Math.sqrt(ss / d + RMS_EPS);
    rstd[i] = r;
    for (let j = 0; j < d; j++) out[i * os + oo + j] = x[i * xs + j] * r * w[j];
  }
}

/**
 * Backward of rmsNormForward. With u = x·r: dx = r·(g − u·mean(g·u)) where g = dy·w; dw += Σ_n dy·u.
 * dx is accumulated into (dx has the layout of x), so residual gradients can flow in place.
 */
export function rmsNormBackward(o: RmsNormBackwardArgs): void {
  const { dy, x, w, rstd, n, d, dx, dw } = o;
  const ds = o.dyStride ?? d;
  const dof = o.dyOffset ?? 0;
  for (let i = 0; i < n; i++) {
    const r = rstd[i];
    let dot = 0;
    for (let j = 0; j < d; j++) dot += dy[i * ds + dof + j] * w[j] * x[i * d + j] * r;
    const meanDot = dot / d;
    for (let j = 0; j < d; j++) {
      const g = dy[i * ds + dof + j] * w[j];
      const u = x[i * d + j] * r;
      dx[i * d + j] += r * (g - u * meanDot);
      if (dw) dw[j] += dy[i * ds + dof + j] * u;
    }
  }
}
