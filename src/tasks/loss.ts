import { CspError } from "../errors.js";
import { allocLike, type FloatArray } from "../tensor/tensor.js";

/**
 * The pruning loss of spec E.4 (the reference's `last_token_contrast_loss_fn`, two-sided), per sequence.
 * For one sequence with last-position logits ℓ, correct token t and foil u (the pair's other target):
 *   loss = −log softmax(ℓ[{t, u}])[t] = softplus(ℓ[u] − ℓ[t]).
 * The reference's pair loss sums this over A (t = aNext, u = bNext) and B (t = bNext, u = aNext); we report
 * the per-sequence mean, i.e. reference pair sum / 2 (the viz_data numbers are the pair sums).
 */
export interface TaskLossResult {
  /** Mean per-sequence loss over all S sequences (= mean reference pair loss / 2 when both of each pair are in). */
  loss: number;
  /** Loss of each sequence [S]. */
  perSequence: Float64Array;
  /** 1 where the correct token's logit is strictly above the foil's [S]. */
  correct: Uint8Array;
  /** Fraction of sequences with correct = 1. */
  accuracy: number;
  /**
   * d loss / d lastLogits [S, V], same float type as the input. Each row is zero except at t (−σ(ℓu−ℓt)/S)
   * and u (+σ(ℓu−ℓt)/S).
   */
  dLastLogits: FloatArray;
}

/** log(1 + e^x) without overflow. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

function checkShapes(lastLogits: FloatArray, targets: Int32Array, alts: Int32Array): number {
  const s = targets.length;
  if (s === 0) throw new CspError("task loss: no sequences");
  if (alts.length !== s) throw new CspError(`task loss: ${s} targets but ${alts.length} alternatives`);
  if (lastLogits.length % s !== 0)
    throw new CspError(`task loss: ${lastLogits.length} logits do not split into ${s} rows`);
  const v = lastLogits.length / s;
  for (let i = 0; i < s; i++) {
    if (!(targets[i] >= 0 && targets[i] < v && alts[i] >= 0 && alts[i] < v))
      throw new CspError(`task loss: row ${i}: token ${targets[i]} or ${alts[i]} is outside [0, ${v})`);
    if (targets[i] === alts[i])
      throw new CspError(`task loss: row ${i}: target and alternative are both ${alts[i]}`);
  }
  return v;
}

/**
 * Contrast loss, accuracy and gradient from the prediction-point logits of S sequences.
 * @param lastLogits [S, V] logits at each sequence's last position.
 * @param targets [S] correct next token of each sequence.
 * @param alts [S] the foil of each sequence (for pair rows A and B: alts of A = bNext, alts of B = aNext).
 */
export function taskLossFromLogits(
  lastLogits: FloatArray,
  targets: Int32Array,
  alts: Int32Array,
): TaskLossResult {
  const v = checkShapes(lastLogits, targets, alts);
  const s = targets.length;
  const perSequence = new Float64Array(s);
  const correct = new Uint8Array(s);
  const dLastLogits = allocLike(lastLogits, s * v);
  let total = 0;
  let hits = 0;
  for (let i = 0; i < s; i++) {
    const margin = lastLogits[i * v + alts[i]] - lastLogits[i * v + targets[i]];
    perSequence[i] = softplus(margin);
    total += perSequence[i];
    correct[i] = margin < 0 ? 1 : 0;
    hits += correct[i];
    const g = sigmoid(margin) / s;
    dLastLogits[i * v + targets[i]] = -g;
    dLastLogits[i * v + alts[i]] = g;
  }
  return { loss: total / s, perSequence, correct, accuracy: hits / s, dLastLogits };
}

/** Fraction of sequences whose correct token's logit is strictly above its foil's ([S, V] logits). */
export function taskAccuracy(lastLogits: FloatArray, targets: Int32Array, alts: Int32Array): number {
  const v = checkShapes(lastLogits, targets, alts);
  let hits = 0;
  for (let i = 0; i < targets.length; i++)
    if (lastLogits[i * v + targets[i]] > lastLogits[i * v + alts[i]]) hits++;
  return hits / targets.length;
}

/**
 * The reference's loss for one pair (what viz_data stores): the sum over A and B, i.e. twice the
 * per-sequence loss. lastA, lastB: [V] logits at the last position of A and of B.
 */
export function referencePairLoss(
  lastA: FloatArray,
  lastB: FloatArray,
  aNext: number,
  bNext: number,
): number {
  return softplus(lastA[bNext] - lastA[aNext]) + softplus(lastB[aNext] - lastB[bNext]);
}
