import type { Backend } from "../../backend/backend.js";
import { getBackend } from "../../backend/index.js";
import type { FloatArray } from "../../tensor/tensor.js";

/** Targets equal to this are ignored, as torch's ignore_index=-1 in the reference. */
export const IGNORE_INDEX = -1;

/**
 * Mean cross-entropy of logits [N, V] against targets [N] over non-ignored rows. Returns the loss and
 * writes dLogits = (softmax − onehot)/count · scale (scale = upstream gradient of the loss).
 * Runs on the backend; crossEntropyTs is the oracle.
 */
export function crossEntropy(
  logits: FloatArray,
  targets: Int32Array,
  v: number,
  dLogits?: FloatArray,
  scale = 1,
  be: Backend = getBackend(),
): { loss: number; count: number } {
  return be.crossEntropy(logits, targets, v, dLogits, scale);
}

/** The TypeScript oracle of Backend.crossEntropy: each row in double, rows added in order. */
export function crossEntropyTs(
  logits: FloatArray,
  targets: Int32Array,
  v: number,
  dLogits: FloatArray | undefined,
  scale: number,
): { loss: number; count: number } {
  const n = targets.length;
  let count = 0;
  for (let i = 0; i < n; i++) if (targets[i] !== IGNORE_INDEX) count++;
  let total = 0;
  if (dLogits) dLogits.fill(0, 0, n * v);
  for (let i = 0; i < n; i++) {
    const tgt = targets[i];
    if (tgt === IGNORE_INDEX) continue;
    const off = i * v;
    let max = -Infinity;
    for (let j = 0; j < v; j++) if (logits[off + j] > max) max = logits[off + j];
    let z = 0;
    for (let j = 0; j < v; j++) z += Math.exp(logits[off + j] - max);
    const logZ = Math.log(z) + max;
    total += logZ - logits[off + tgt];
    if (dLogits) {
      const g = scale / count;
      for (let j = 0; j < v; j++) dLogits[off + j] = Math.exp(logits[off + j] - logZ) * g;
      dLogits[off + tgt] -= g;
    }
  }
  return { loss: count > 0 ? total / count : NaN, count };
}
