import { calibratedLoss } from "../circuit/calibrate.js";
import { maskedLosses, type PruneContext } from "../circuit/masked_run.js";
import { groupByLength, spreadIndices, type TaskSequence } from "../circuit/task_data.js";
import { mean, type Calibration } from "../circuit/task_loss.js";
import type { Headline } from "./api_types.js";

/**
 * The pairs the viewer's headline is measured on: the task's test split (pairs the calibration was not
 * fitted on and the search never saw), as many as the circuit file evaluated (`eval.pairs`), spread as
 * `csp prune` spreads them. Without test pairs: the file's own evaluation pairs, labelled with their split.
 */
export function headlineSequences(opts: {
  test: readonly TaskSequence[];
  evalSeqs: readonly TaskSequence[];
  evalSplit: string;
  evalPairs: number;
}): { split: string; seqs: TaskSequence[] } {
  if (opts.test.length === 0) return { split: opts.evalSplit, seqs: [...opts.evalSeqs] };
  const pairs = spreadIndices(opts.test.length / 2, opts.evalPairs);
  return { split: "test", seqs: pairs.flatMap((p) => [opts.test[2 * p], opts.test[2 * p + 1]]) };
}

/** Mean per-sequence losses of node values `mask` on `seqs`: uncalibrated, and with `calibration`. */
export function circuitLosses(opts: {
  ctx: PruneContext;
  seqs: readonly TaskSequence[];
  mask: Float32Array;
  calibration: Calibration;
  draw: number;
}): { lossCircuit: number; lossCalibrated: number } {
  const run = maskedLosses(opts.ctx, groupByLength(opts.seqs), opts.seqs.length, opts.mask, {
    draw: opts.draw,
  });
  return { lossCircuit: mean(run.losses), lossCalibrated: calibratedLoss(run.candidates, opts.calibration) };
}

/**
 * The headline of a circuit: `reached` is the uncalibrated loss against the target, as `csp prune`
 * decides it (there on the train evaluation pairs, here on `split`); the calibrated loss never decides it.
 */
export function headline(opts: {
  split: string;
  pairs: number;
  losses: { lossCircuit: number; lossCalibrated: number };
  lossFull: number;
  targetLoss: number;
}): Headline {
  return {
    split: opts.split,
    pairs: opts.pairs,
    lossCircuit: opts.losses.lossCircuit,
    lossCalibrated: opts.losses.lossCalibrated,
    lossFull: opts.lossFull,
    targetLoss: opts.targetLoss,
    reached: opts.losses.lossCircuit <= opts.targetLoss,
  };
}
