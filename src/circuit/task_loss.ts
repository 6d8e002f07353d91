import type { FloatArray } from "../tensor/tensor.js";
import type { SequenceGroup } from "./task_data.js";

/**
 * Logit calibration (spec E.3): logits ↦ scale·logits + shift. The loss only sees the difference of two
 * logits, so a scalar shift would cancel; the shift is therefore per token id (a vector over the
 * vocabulary, zero except at the task's candidate tokens).
 */
export interface Calibration {
  scale: number;
  /** Token id → additive shift; absent ids have shift 0. */
  shift: Map<number, number>;
}

export const IDENTITY_CALIBRATION: Calibration = { scale: 1, shift: new Map() };

/** log(1 + e^x) without overflow. */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** 1 / (1 + e^−x) without overflow. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** The last-position logits of the two candidates, raw (before calibration). */
export interface CandidateLogits {
  correct: Float64Array;
  alt: Float64Array;
  correctId: Int32Array;
  altId: Int32Array;
}

/** The per-sequence loss from a margin z = calibrated ℓ_correct − ℓ_alt: binary CE = softplus(−z). */
export function calibratedMargin(c: Calibration, lc: number, la: number, idC: number, idA: number): number {
  return c.scale * (lc - la) + (c.shift.get(idC) ?? 0) - (c.shift.get(idA) ?? 0);
}

/**
 * The two-sided contrast loss of spec E.4, per sequence: binary cross-entropy at the last position over
 * {correct, alt}. Returns each row's loss and raw candidate logits. With `dLogits` [n·t·V] (zeroed by the
 * caller) it writes d(gradScale·Σ losses)/d logits, which is non-zero only at the two candidates of the
 * last position of each row.
 */
export function contrastLoss(
  logits: FloatArray,
  g: SequenceGroup,
  vocab: number,
  opts: { calibration?: Calibration; dLogits?: FloatArray; gradScale?: number } = {},
): { losses: Float64Array; candidates: CandidateLogits } {
  const cal = opts.calibration ?? IDENTITY_CALIBRATION;
  const scale = opts.gradScale ?? 1;
  const losses = new Float64Array(g.n);
  const candidates: CandidateLogits = {
    correct: new Float64Array(g.n),
    alt: new Float64Array(g.n),
    correctId: g.correct.slice(),
    altId: g.alt.slice(),
  };
  for (let r = 0; r < g.n; r++) {
    const row = (r * g.t + g.t - 1) * vocab;
    const lc = logits[row + g.correct[r]];
    const la = logits[row + g.alt[r]];
    candidates.correct[r] = lc;
    candidates.alt[r] = la;
    const z = calibratedMargin(cal, lc, la, g.correct[r], g.alt[r]);
    losses[r] = softplus(-z);
    if (opts.dLogits) {
      // d softplus(−z)/dz = −σ(−z); dz/dℓc = scale, dz/dℓa = −scale.
      const dz = -sigmoid(-z) * scale;
      opts.dLogits[row + g.correct[r]] += dz * cal.scale;
      opts.dLogits[row + g.alt[r]] -= dz * cal.scale;
    }
  }
  return { losses, candidates };
}

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return xs.length > 0 ? s / xs.length : NaN;
}
