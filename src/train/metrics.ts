import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../io/atomic.js";

/** One line of metrics.jsonl: the state of the run after a step. */
export interface StepMetrics {
  step: number;
  /** Learning rate applied at this step. */
  lr: number;
  /** pfrac_i (null for dense training). */
  pfrac: number | null;
  /** Training loss of this step's batch. */
  loss: number;
  /** Validation loss, on the steps where it was measured. */
  val_loss?: number;
  /** Global gradient norm before RMS normalisation. */
  grad_norm: number;
  /** Nonzero entries of the pruned matrices after the step, and their total size. */
  nonzero: number;
  prunable: number;
  /** Tokens consumed so far, and wall-clock seconds of training so far (across resumes). */
  tokens: number;
  elapsed_s: number;
}

export const METRICS_FILE = "metrics.jsonl";

/**
 * Reads metrics.jsonl, keeping the records of steps before `beforeStep` (those a resumed run has
 * already done) and skipping anything unreadable, such as a torn last line.
 */
export function readMetrics(path: string, beforeStep = Infinity): StepMetrics[] {
  if (!existsSync(path)) return [];
  const out: StepMetrics[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    try {
      const rec = JSON.parse(line) as StepMetrics;
      if (typeof rec.step === "number" && rec.step < beforeStep) out.push(rec);
    } catch {
      // A line torn by a crash carries nothing we need: the checkpoint is the source of truth.
    }
  }
  return out;
}

/** Rewrites metrics.jsonl atomically (the whole history is small). */
export function writeMetrics(path: string, records: readonly StepMetrics[]): void {
  writeFileAtomic(path, records.map((r) => JSON.stringify(r) + "\n").join(""));
}
