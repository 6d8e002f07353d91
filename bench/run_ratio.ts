import type { EvalPoint } from "./common/specs.js";

/** Definition of training.run_time_ratio, stored in results.json and shown in RESULTS.md. */
export const RUN_RATIO_DEFINITION =
  "Both sides run the same recipe (same init weights, same batches in the same order, same schedule of S+1 steps " +
  "with the L0 anneal) and measure validation loss before step 0, every evalEvery steps and after the last step. " +
  "L* = the worse (higher) of the two final validation losses, so both runs reach it. t(side) = that side's training " +
  "seconds (validation time excluded) at its first evaluation with loss <= L* among those made at the target " +
  "sparsity (after the anneal has ended: a dense-ish model early in the anneal can dip below L*, which would not be " +
  "the model asked for). Each of our training modes is compared with the same PyTorch run (L* per pair): " +
  "run_time_ratio_<mode> = t(ours, mode) / t(PyTorch), and run_time_ratio is that of the engine's default mode; " +
  "the target is <= 1/3.";

export interface RunRatio {
  targetLoss: number;
  oursSeconds: number;
  torchSeconds: number;
  ratio: number | null;
  reason?: string;
}

/** Which clock: wall seconds (the headline) or process CPU seconds (a cross-check under contention). */
export type Clock = "trainSeconds" | "trainCpuSeconds";

/**
 * Training seconds at the first evaluation made after at least `minSteps` steps whose loss is at most
 * `target`; null if none.
 */
export function secondsToLoss(
  evals: readonly EvalPoint[],
  target: number,
  clock: Clock = "trainSeconds",
  minSteps = 0,
): number | null {
  for (const e of evals) if (e.steps >= minSteps && e.valLoss <= target) return e[clock];
  return null;
}

/** Steps completed after which the weights are at the target sparsity: step i ≥ stop_frac·S has run. */
export function stepsToTargetSparsity(c: {
  pfrac_anneal: boolean;
  pfrac_anneal_stop_frac: number;
  total_steps: number;
}): number {
  return c.pfrac_anneal ? Math.ceil(c.pfrac_anneal_stop_frac * c.total_steps + 1) : 0;
}

export function runTimeRatio(
  ours: readonly EvalPoint[],
  torch: readonly EvalPoint[],
  opts: { clock?: Clock; minSteps?: number } = {},
): RunRatio {
  if (ours.length === 0 || torch.length === 0) throw new Error("runTimeRatio: a run has no evaluations");
  const clock = opts.clock ?? "trainSeconds";
  const minSteps = opts.minSteps ?? 0;
  const targetLoss = Math.max(ours[ours.length - 1].valLoss, torch[torch.length - 1].valLoss);
  const oursSeconds = secondsToLoss(ours, targetLoss, clock, minSteps)!;
  const torchSeconds = secondsToLoss(torch, targetLoss, clock, minSteps)!;
  if (!Number.isFinite(targetLoss)) {
    return {
      targetLoss,
      oursSeconds,
      torchSeconds,
      ratio: null,
      reason: "a run ended with a non-finite validation loss",
    };
  }
  if (torchSeconds === 0) {
    return {
      targetLoss,
      oursSeconds,
      torchSeconds,
      ratio: null,
      reason: "L* was already reached before training (no time to compare)",
    };
  }
  return { targetLoss, oursSeconds, torchSeconds, ratio: oursSeconds / torchSeconds };
}
