import type { FloatArray } from "../tensor/tensor.js";

/** The global L2 norm of all gradients together, accumulated in double precision. */
export function globalNorm(grads: Iterable<FloatArray>): number {
  let sumSq = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sumSq += g[i] * g[i];
  return Math.sqrt(sumSq);
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
export function normalizeGradRms(grads: readonly FloatArray[], eps: number): GradRmsResult {
  let count = 0;
  for (const g of grads) count += g.length;
  const norm = globalNorm(grads);
  const divisor = norm / Math.sqrt(count) + eps;
  for (const g of grads) for (let i = 0; i < g.length; i++) g[i] = g[i] / divisor;
  return { norm, divisor };
}
