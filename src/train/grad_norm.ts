import type { Backend } from "../backend/backend.js";
import { getBackend } from "../backend/index.js";
import type { FloatArray } from "../tensor/tensor.js";

/**
 * The global L2 norm of all gradients together, accumulated in double precision. The TypeScript
 * backend adds the squares in order; the native one in a fixed blocked order (same to ~1e-15).
 */
export function globalNorm(grads: Iterable<FloatArray>, be: Backend = getBackend()): number {
  return Math.sqrt(be.sumSquares([...grads]));
}

export interface GradRmsResult {
  /** ‖g‖ before normalisation (logged; a spike means a bad batch or a diverging run). */
  norm: number;
  /** The divisor that was applied: ‖g‖/√N + eps. */
  divisor: number;
}

/**
 * The official "gradclip": not a clip but a normalisation that always sets the global gradient RMS to
 * about 1, g ← g / (‖g‖/√N + eps), with N the number of trained numbers. With Adam's ε = 0.1 this
 * fixes the scale at which ε matters, so it must run every step, even when the RMS is below 1.
 */
export function normalizeGradRms(
  grads: readonly FloatArray[],
  eps: number,
  be: Backend = getBackend(),
): GradRmsResult {
  let count = 0;
  for (const g of grads) count += g.length;
  const norm = globalNorm(grads, be);
  const divisor = norm / Math.sqrt(count) + eps;
  be.divideInPlace(grads, divisor);
  return { norm, divisor };
}
