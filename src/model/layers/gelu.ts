import type { FloatArray } from "../../tensor/tensor.js";

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * erf(x) to near double precision: Maclaurin series for |x| < 2.5 (at most ~60 terms, cancellation costs
 * ~3 digits of double), Lentz continued fraction for erfc beyond.
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 80; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (ax > 6) return x > 0 ? 1 : -1;
  // erfc(ax) = exp(-ax²)/√π · 1/(ax + 1/2/(ax + 1/(ax + 3/2/(ax + ...)))), evaluated by modified Lentz.
  const tiny = 1e-300;
  let f = ax;
  let c = ax;
  let dd = 0;
  for (let i = 1; i < 200; i++) {
    const an = i / 2;
    dd = ax + an * dd;
    dd = Math.abs(dd) < tiny ? tiny : dd;
    c = ax + an / c;
    c = Math.abs(c) < tiny ? tiny : c;
    dd = 1 / dd;
    const delta = c * dd;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x > 0 ? 1 - erfc : erfc - 1;
}

/** Exact (erf) GELU, as torch.nn.GELU(): y = x·Φ(x). x is kept for the backward. */
export function geluForward(x: FloatArray, out: FloatArray, size: number): void {
  for (let i = 0; i < size; i++) {
    const v = x[i];
    out[i] = 0.5 * v * (1 + erf(v * SQRT1_2));
  }
}

/** dx = dy·(Φ(x) + x·φ(x)), written into dx. */
export function geluBackward(x: FloatArray, dy: FloatArray, dx: FloatArray, size: number): void {
  for (let i = 0; i < size; i++) {
    const v = x[i];
    const cdf = 0.5 * (1 + erf(v * SQRT1_2));
    const pdf = INV_SQRT_2PI * Math.exp(-0.5 * v * v);
    dx[i] = dy[i] * (cdf + v * pdf);
  }
}

export function reluForward(x: FloatArray, out: FloatArray, size: number): void {
  for (let i = 0; i < size; i++) out[i] = x[i] > 0 ? x[i] : 0;
}

export function reluBackward(x: FloatArray, dy: FloatArray, dx: FloatArray, size: number): void {
  for (let i = 0; i < size; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
}
