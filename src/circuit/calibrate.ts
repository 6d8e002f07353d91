import type { CircuitFile } from "./format.js";
import { lbfgs } from "./lbfgs.js";
import { calibratedMargin, sigmoid, softplus, type Calibration, type CandidateLogits } from "./task_loss.js";

/** Iterations of the logit calibration (spec E.3). */
export const CALIBRATION_STEPS = 16;

/** Mean contrast loss of cached candidate logits under a calibration (NaN rows are skipped). */
export function calibratedLoss(c: CandidateLogits, cal: Calibration): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < c.correct.length; i++) {
    if (Number.isNaN(c.correct[i])) continue;
    sum += softplus(-calibratedMargin(cal, c.correct[i], c.alt[i], c.correctId[i], c.altId[i]));
    n++;
  }
  return n > 0 ? sum / n : NaN;
}

/**
 * Fits logits ↦ scale·logits + shift[token] to a circuit's last-position candidate logits by L-BFGS
 * (`steps` iterations, from scale 1 and shift 0), minimising the mean contrast loss. The scale is one
 * scalar (it rescales the model's confidence); the shift has one entry per candidate token (a scalar
 * shift would cancel in the two-token loss, so a per-token bias is the only shift that can act). The
 * problem is convex (a logistic regression on the logit difference), so the fit never ends worse than
 * the identity.
 */
export function fitCalibration(c: CandidateLogits, steps = CALIBRATION_STEPS): Calibration {
  const rows: number[] = [];
  for (let i = 0; i < c.correct.length; i++) if (!Number.isNaN(c.correct[i])) rows.push(i);
  const tokens = [...new Set(rows.flatMap((i) => [c.correctId[i], c.altId[i]]))].sort((a, b) => a - b);
  const slot = new Map(tokens.map((t, j) => [t, j + 1]));
  const n = rows.length;
  const objective = (x: Float64Array) => {
    const grad = new Float64Array(x.length);
    let value = 0;
    for (const i of rows) {
      const sc = slot.get(c.correctId[i])!;
      const sa = slot.get(c.altId[i])!;
      const diff = c.correct[i] - c.alt[i];
      const z = x[0] * diff + x[sc] - x[sa];
      value += softplus(-z);
      const dz = -sigmoid(-z) / n;
      grad[0] += dz * diff;
      grad[sc] += dz;
      grad[sa] -= dz;
    }
    return { value: value / n, grad };
  };
  const x0 = new Float64Array(tokens.length + 1);
  x0[0] = 1;
  if (n === 0) return { scale: 1, shift: new Map() };
  const { x } = lbfgs(objective, x0, steps);
  return { scale: x[0], shift: new Map(tokens.map((t, j) => [t, x[j + 1]])) };
}

/** The calibration a circuit file records, back as the loss uses it. */
export function calibrationFromRecord(r: CircuitFile["calibration"]): Calibration {
  // A uniform shift cancels in the two-token loss; only the per-token part enters.
  return { scale: r.scale, shift: new Map(Object.entries(r.token_shift).map(([k, v]) => [Number(k), v])) };
}
