import type { FloatArray } from "../../tensor/tensor.js";
import { TorchTopK } from "./nth_element.js";

// The TypeScript oracle of the native activation kernels (src/native/activations.cc): AbsTopK and
// erf-GELU.

/**
 * AbsTopK over the last dimension: in each row of x [N, D] keep the k entries of largest |x| (with their
 * sign), zero the rest, in place. `kept` [N·D] records the selection for the backward. The selection,
 * ties included, is PyTorch's (see TorchTopK): a row with fewer than k nonzeros keeps some zeros, and
 * which ones decides where gradient flows.
 */
export function absTopKForward(x: FloatArray, n: number, d: number, k: number, kept: Uint8Array): void {
  if (k >= d) {
    kept.fill(1, 0, n * d);
    return;
  }
  const selector = new TorchTopK(d);
  const abs = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let j = 0; j < d; j++) abs[j] = Math.abs(x[row + j]);
    selector.select(abs, d, k, kept, row);
    for (let j = 0; j < d; j++) if (!kept[row + j]) x[row + j] = 0;
  }
}

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
