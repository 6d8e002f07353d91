import { CspError } from "../errors.js";
import { allocLike, type FloatArray } from "../tensor/tensor.js";
import { taskLossFromLogits, type TaskLossResult } from "./loss.js";
import type { TaskPair } from "./task.js";

/**
 * Where padding goes. "right" (default): every sequence starts at position 0 and the prediction is read
 * at its own last token; with causal attention the pads after it cannot reach it, so each row's logits
 * are exactly those of the sequence run alone, whatever else is in the batch. "left": the reference's
 * `pad_or_clip_to_len` — pads before the tokens so the last column is the prediction point; with absolute
 * positions and no attention mask the pads shift positions and are attended to (spec F), so results
 * depend on the batch's longest sequence.
 */
export type TaskPadding = "right" | "left";

export interface TaskBatchOptions {
  padding?: TaskPadding;
  /** Padding token id; the reference uses 0. */
  padId?: number;
  /** Row length T; default the longest sequence. Longer sequences keep their last T tokens. */
  length?: number;
}

/** 2N sequences of N pairs: rows 0..N−1 are the A sequences, rows N..2N−1 the B sequences (as viz_data). */
export interface TaskBatch {
  /** [B, T] token ids, B = 2N. */
  ids: Int32Array;
  b: number;
  t: number;
  /** [B] column of each row's prediction point (its last real token). */
  lastIndex: Int32Array;
  /** [B] correct next token of each row: aNext for A rows, bNext for B rows. */
  targets: Int32Array;
  /** [B] foil of each row: bNext for A rows, aNext for B rows. */
  alts: Int32Array;
  padding: TaskPadding;
}

/** Lays N pairs out as a [2N, T] batch (see {@link TaskPadding} for the padding decision). */
export function makeTaskBatch(pairs: readonly TaskPair[], options: TaskBatchOptions = {}): TaskBatch {
  const n = pairs.length;
  if (n === 0) throw new CspError("task batch: no pairs");
  const padding = options.padding ?? "right";
  const padId = options.padId ?? 0;
  const seqs: Int32Array[] = [...pairs.map((p) => p.a), ...pairs.map((p) => p.b)];
  for (const [i, s] of seqs.entries())
    if (s.length === 0) throw new CspError(`task batch: pair ${pairs[i % n].id} has an empty sequence`);
  const t = options.length ?? Math.max(...seqs.map((s) => s.length));
  if (!Number.isInteger(t) || t < 1)
    throw new CspError(`task batch: length must be a positive integer, got ${t}`);
  const b = 2 * n;
  const ids = new Int32Array(b * t).fill(padId);
  const lastIndex = new Int32Array(b);
  seqs.forEach((s, row) => {
    const kept = s.length > t ? s.subarray(s.length - t) : s;
    const start = padding === "right" ? 0 : t - kept.length;
    ids.set(kept, row * t + start);
    lastIndex[row] = start + kept.length - 1;
  });
  const targets = new Int32Array(b);
  const alts = new Int32Array(b);
  pairs.forEach((p, i) => {
    targets[i] = p.aNext;
    alts[i] = p.bNext;
    targets[n + i] = p.bNext;
    alts[n + i] = p.aNext;
  });
  return { ids, b, t, lastIndex, targets, alts, padding };
}

function vocabOf(logits: FloatArray, batch: TaskBatch): number {
  const rows = batch.b * batch.t;
  if (logits.length % rows !== 0)
    throw new CspError(`task batch: ${logits.length} logits do not fit [${batch.b}, ${batch.t}, V]`);
  return logits.length / rows;
}

/** The logits at each row's prediction point: [B, T, V] → [B, V]. */
export function gatherLastLogits(logits: FloatArray, batch: TaskBatch): FloatArray {
  const v = vocabOf(logits, batch);
  const out = allocLike(logits, batch.b * v);
  for (let r = 0; r < batch.b; r++) {
    const off = (r * batch.t + batch.lastIndex[r]) * v;
    out.set(logits.subarray(off, off + v), r * v);
  }
  return out;
}

/** Places [B, V] gradients at each row's prediction point of a zero [B, T, V] array. */
export function scatterLastLogitGrads(dLast: FloatArray, batch: TaskBatch): FloatArray {
  if (dLast.length % batch.b !== 0)
    throw new CspError(`task batch: ${dLast.length} gradients do not split into ${batch.b} rows`);
  const v = dLast.length / batch.b;
  const out = allocLike(dLast, batch.b * batch.t * v);
  for (let r = 0; r < batch.b; r++)
    out.set(dLast.subarray(r * v, (r + 1) * v), (r * batch.t + batch.lastIndex[r]) * v);
  return out;
}

/**
 * Task loss of a forward pass over a batch: logits [B, T, V] → the per-sequence contrast loss, accuracy,
 * and `dLogits` [B, T, V] ready for the model's backward (nonzero only at prediction points).
 */
export function taskBatchLoss(
  logits: FloatArray,
  batch: TaskBatch,
): TaskLossResult & { dLogits: FloatArray } {
  const result = taskLossFromLogits(gatherLastLogits(logits, batch), batch.targets, batch.alts);
  return { ...result, dLogits: scatterLastLogitGrads(result.dLastLogits, batch) };
}
