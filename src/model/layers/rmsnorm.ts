import type { FloatArray } from "../../tensor/tensor.js";

/** torch.nn.RMSNorm's default eps: finfo(float32).eps, whatever the compute precision. */
export const RMS_EPS = 1.1920928955078125e-7;

/** Arguments of rmsNormForward: x [N, D] (rows of stride xStride) into out rows of stride outStride. */
export interface RmsNormForwardArgs {
  x: FloatArray;
  w: FloatArray;
  n: number;
  d: number;
  out: FloatArray;
  rstd: FloatArray;
  xStride?: number;
  outStride?: number;
  outOffset?: number;
}

/** Arguments of rmsNormBackward: dy rows of stride dyStride at dyOffset; x, dx dense [N, D]. */
export interface RmsNormBackwardArgs {
  dy: FloatArray;
  x: FloatArray;
  w: FloatArray;
  rstd: FloatArray;
  n: number;
  d: number;
  dx: FloatArray;
  dw: FloatArray | undefined;
  dyStride?: number;
  dyOffset?: number;
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
