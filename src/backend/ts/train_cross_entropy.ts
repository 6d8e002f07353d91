import { IGNORE_INDEX } from "../backend.js";
import type { FloatArray } from "../../tensor/tensor.js";

/**
 * The TypeScript oracle of Backend.crossEntropy (native: src/native/train_cross_entropy.cc): mean
 * cross-entropy of logits [N, V] against targets [N] over non-ignored rows, each row in double, rows
 * added in order; writes dLogits = (softmax − onehot)/count · scale if given.
 */
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
