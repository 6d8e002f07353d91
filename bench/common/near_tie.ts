import type { DiagnoseResult } from "./specs.js";

/**
 * A divergence counts as a top-k near-tie when the k-th and (k+1)-th largest |x| are closer than this,
 * relative: ten times float32's rounding (~1e-7), so either side may keep either entry.
 */
export const NEAR_TIE_RELATIVE_GAP = 1e-6;

export interface BeforeTie {
  /** max over the positions before the first near-tie of the per-position max |logit diff|. */
  value: number | null;
  reason?: string;
  /** The flattened position (batch × tokens) where the first near-tie sits; null: none diagnosed. */
  tiePosition: number | null;
}

/**
 * The logit difference with the positions from the first diagnosed top-k near-tie on left out: the
 * positions (flattened over the batch) before it. Without a divergence above 1e-4 (no diagnosis) or
 * with a first divergence that is no near-tie, every position counts: a real discrepancy must show.
 */
export function maxDiffBeforeTie(
  perPosition: readonly number[],
  diagnosis: DiagnoseResult | { error: string } | undefined,
): BeforeTie {
  const all = perPosition.reduce((m, d) => (d > m || Number.isNaN(d) ? d : m), 0);
  if (diagnosis && "error" in diagnosis)
    return { value: null, reason: `the near-tie diagnosis failed: ${diagnosis.error}`, tiePosition: null };
  const v = diagnosis?.divergence;
  if (!v || v.relativeGap === null || !(v.relativeGap < NEAR_TIE_RELATIVE_GAP))
    return {
      value: Number.isNaN(all) ? null : all,
      tiePosition: null,
      ...(Number.isNaN(all) ? { reason: "a logit is NaN" } : {}),
    };
  const before = perPosition.slice(0, v.position);
  if (before.length === 0)
    return {
      value: null,
      reason: "the first near-tie is at position 0 (no position before it)",
      tiePosition: 0,
    };
  const m = before.reduce((a, d) => (d > a || Number.isNaN(d) ? d : a), 0);
  return Number.isNaN(m)
    ? { value: null, reason: "a logit before the near-tie is NaN", tiePosition: v.position }
    : { value: m, tiePosition: v.position };
}
