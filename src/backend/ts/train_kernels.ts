import type { AdamCoefficients } from "../backend.js";
import type { FloatArray } from "../../tensor/tensor.js";

// The TypeScript oracle of the native training-step kernels (src/native/train_kernels.cc): the
// optimizer's per-element loops (Adam, gradient RMS, weight decay) and the per-element tails of the
// backward (bias gradients, the AbsTopK mask).

/**
 * One torch.optim.Adam update of one tensor, in place on p, m and v (the oracle of
 * Backend.adamUpdate; train/adam.ts has the recipe). Each line is evaluated in double in this
 * operation order and rounded when stored.
 */
export function adamUpdateTs(
  p: FloatArray,
  g: FloatArray,
  m: FloatArray,
  v: FloatArray,
  c: AdamCoefficients,
): void {
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    m[i] = c.beta1 * m[i] + c.oneMinusBeta1 * gi;
    v[i] = c.beta2 * v[i] + c.oneMinusBeta2 * gi * gi;
    // Read back: the update uses the moments as stored (fp32 in the engine), like torch does.
    const denom = Math.sqrt(v[i]) / c.biasCorrection2Sqrt + c.eps;
    p[i] = p[i] - (c.stepSize * m[i]) / denom;
  }
}

/** Σ x² over all arrays in double, added in order (the oracle of Backend.sumSquares). */
export function sumSquaresTs(arrays: readonly FloatArray[]): number {
  let sumSq = 0;
  for (const g of arrays) for (let i = 0; i < g.length; i++) sumSq += g[i] * g[i];
  return sumSq;
}

/** x ← x / divisor over all arrays (the oracle of Backend.divideInPlace). */
export function divideInPlaceTs(arrays: readonly FloatArray[], divisor: number): void {
  for (const g of arrays) for (let i = 0; i < g.length; i++) g[i] = g[i] / divisor;
}

/** p ← p − factor·p over all arrays, in double (the oracle of Backend.decayInPlace). */
export function decayInPlaceTs(tensors: readonly FloatArray[], factor: number): void {
  for (const p of tensors) for (let i = 0; i < p.length; i++) p[i] = p[i] - factor * p[i];
}

/** db[j] += Σ_i dy[i, j] for dy [n, d], row by row (the oracle of Backend.addColumnSums). */
export function addColumnSumsTs(dy: FloatArray, n: number, d: number, db: FloatArray): void {
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) db[j] += dy[i * d + j];
}

/** dy[i] = 0 where kept[i] = 0 (the oracle of Backend.maskByKept). */
export function maskByKeptTs(dy: FloatArray, kept: Uint8Array, size: number): void {
  for (let i = 0; i < size; i++) if (!kept[i]) dy[i] = 0;
}
