import type { Backend } from "../../backend/backend.js";
import { getBackend } from "../../backend/index.js";
import type { FloatArray } from "../../tensor/tensor.js";

/**
 * Mean cross-entropy of logits [N, V] against targets [N] over the rows whose target is not
 * IGNORE_INDEX (backend/backend.ts). Returns the loss and writes dLogits = (softmax − onehot)/count ·
 * scale (scale = upstream gradient of the loss). Runs on the backend; backend/ts/train_cross_entropy.ts
 * is the oracle.
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
