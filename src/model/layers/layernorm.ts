import type { FloatArray } from "../../tensor/tensor.js";

/** The reference's non-RMS LayerNorm (eps 1e-5, optional bias); unused by released models. */
export const LN_EPS = 1e-5;

/** y = (x − mean)/sqrt(var + eps)·w + b over rows of x [N, D]; saves mean and rstd. */
export function layerNormForward(o: {
  x: FloatArray;
  w: FloatArray;
  b: FloatArray | undefined;
  n: number;
  d: number;
  out: FloatArray;
  mean: FloatArray;
  rstd: FloatArray;
  outStride?: number;
  outOffset?: number;
}): void {
  const { x, w, b, n, d, out, mean, rstd } = o;
  const os = o.outStride ?? d;
  const oo = o.outOffset ?? 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[i * d + j];
    const m = s / d;
    let v = 0;
    for (let j = 0; j < d; j++) v += (x[i * d + j] - m) ** 2;
    const r = 1 / Math.sqrt(v / d + LN_EPS);
    mean[i] = m;
    rstd[i] = r;
    for (let j = 0; j < d; j++) out[i * os + oo + j] = (x[i * d + j] - m) * r * w[j] + (b ? b[j] : 0);
  }
}

export function layerNormBackward(o: {
  dy: FloatArray;
  x: FloatArray;
  w: FloatArray;
  mean: FloatArray;
  rstd: FloatArray;
  n: number;
  d: number;
  dx: FloatArray;
  dw: FloatArray | undefined;
  db: FloatArray | undefined;
  dyStride?: number;
  dyOffset?: number;
}): void {
  const { dy, x, w, mean, rstd, n, d, dx, dw, db } = o;
  const ds = o.dyStride ?? d;
  const dof = o.dyOffset ?? 0;
  for (let i = 0; i < n; i++) {
    const r = rstd[i];
    let sumG = 0;
    let sumGu = 0;
    for (let j = 0; j < d; j++) {
      const g = dy[i * ds + dof + j] * w[j];
      const u = (x[i * d + j] - mean[i]) * r;
      sumG += g;
      sumGu += g * u;
    }
    for (let j = 0; j < d; j++) {
      const gy = dy[i * ds + dof + j];
      const u = (x[i * d + j] - mean[i]) * r;
      dx[i * d + j] += r * (gy * w[j] - sumG / d - (u * sumGu) / d);
      if (dw) dw[j] += gy * u;
      if (db) db[j] += gy;
    }
  }
}
