import type { Backend } from "../backend/backend.js";
import { getBackend } from "../backend/index.js";
import type { FloatArray } from "../tensor/tensor.js";

/**
 * Decoupled weight decay after the top-k projection: p ← p − (wd·lr)·p. Running after the projection
 * means it only shrinks surviving entries and never revives zeros. The caller picks the tensors
 * (train.py: every parameter with ≥ 2 dimensions except the bigram table).
 */
export function decayWeights(
  tensors: Iterable<FloatArray>,
  weightDecay: number,
  lr: number,
  be: Backend = getBackend(),
): void {
  const factor = weightDecay * lr;
  if (factor === 0) return;
  be.decayInPlace([...tensors], factor);
}
