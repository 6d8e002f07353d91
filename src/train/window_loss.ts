import type { Backend } from "../backend/backend.js";
import { forward } from "../model/gpt.js";
import type { Model } from "../model/model.js";
import { nextTokenTargets } from "./step.js";

/** Mean next-token cross-entropy over a set of windows, and how many predictions it averaged. */
export interface WindowLoss {
  /** Mean loss in nats per predicted token. */
  loss: number;
  /** Predicted tokens (windows × (T − 1)). */
  predictions: number;
  windows: number;
}

/**
 * Mean next-token loss (validation loss, corpus loss) of the token windows of length t, concatenated in `tokens` [N, t], run in
 * batches of `batchSize` (no gradients). Every position but the last of each window is predicted,
 * as in training, so train and validation losses are comparable.
 */
export function windowLoss(
  model: Model,
  tokens: Int32Array,
  t: number,
  opts: { batchSize: number; backend?: Backend },
): WindowLoss {
  const n = tokens.length / t;
  if (!Number.isInteger(n) || n === 0)
    throw new Error(`windowLoss: ${tokens.length} tokens are not whole windows of ${t}`);
  let total = 0;
  let count = 0;
  for (let start = 0; start < n; start += opts.batchSize) {
    const b = Math.min(opts.batchSize, n - start);
    const ids = tokens.subarray(start * t, (start + b) * t);
    const targets = nextTokenTargets(ids, b, t);
    const { loss } = forward(model, ids, b, t, { targets, backend: opts.backend });
    const predicted = b * (t - 1);
    total += (loss ?? NaN) * predicted;
    count += predicted;
  }
  return { loss: total / count, predictions: count, windows: n };
}
