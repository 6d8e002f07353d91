import { maskedLosses, type PruneContext } from "./masked_run.js";
import { groupByLength, type TaskSequence } from "./task_data.js";
import { calibratedLoss } from "./calibrate.js";
import { mean, type CandidateLogits, type Calibration } from "./task_loss.js";
import { mixSeed } from "../random/seed.js";
import type { PruneSetup } from "./setup.js";
import { calibrationFromRecord } from "./calibrate.js";
import type { CircuitFile } from "./format.js";
import { circuitMask } from "./read.js";

/** Sufficiency and necessity of a circuit on a set of sequences (mean per-sequence losses). */
export interface CircuitEvaluation {
  sequences: number;
  /** Every node kept. */
  loss_full: number;
  /** Sufficiency: circuit kept, every other node ablated. */
  loss_circuit: number;
  /** The same with the circuit file's logit calibration. */
  loss_calibrated: number;
  /** Necessity: circuit nodes ablated, every other node kept. */
  loss_circuit_ablated: number;
  /** Every node ablated. */
  loss_empty: number;
  /** Fraction of sequences whose correct token's logit beats the alternative's. */
  accuracy_full: number;
  accuracy_circuit: number;
  accuracy_circuit_ablated: number;
}

function accuracy(c: CandidateLogits): number {
  let hits = 0;
  for (let i = 0; i < c.correct.length; i++) if (c.correct[i] > c.alt[i]) hits++;
  return hits / c.correct.length;
}

/** Runs the four masks (full, circuit, complement, empty) over `seqs`; `draw` seeds resample ablation. */
export function evaluateCircuit(
  ctx: PruneContext,
  seqs: readonly TaskSequence[],
  keep: Float32Array,
  calibration: Calibration,
  draw: number,
  onStep?: (done: number) => void,
): CircuitEvaluation {
  const groups = groupByLength(seqs);
  const n = seqs.length;
  const run = (mask: Float32Array) => maskedLosses(ctx, groups, n, mask, { draw });
  const full = run(new Float32Array(keep.length).fill(1));
  onStep?.(1);
  const circuit = run(keep);
  onStep?.(2);
  const ablated = run(keep.map((v) => 1 - v));
  onStep?.(3);
  const empty = run(new Float32Array(keep.length));
  onStep?.(4);
  return {
    sequences: n,
    loss_full: mean(full.losses),
    loss_circuit: mean(circuit.losses),
    loss_calibrated: calibratedLoss(circuit.candidates, calibration),
    loss_circuit_ablated: mean(ablated.losses),
    loss_empty: mean(empty.losses),
    accuracy_full: accuracy(full.candidates),
    accuracy_circuit: accuracy(circuit.candidates),
    accuracy_circuit_ablated: accuracy(ablated.candidates),
  };
}

/**
 * A circuit file's nodes and stored calibration evaluated on a split of a prune setup (`csp evaluate`);
 * `seed` seeds resample ablation's draws.
 */
export function evaluateCircuitFile(
  setup: PruneSetup,
  circuit: CircuitFile,
  split: "train" | "test",
  seed: number,
  onStep?: (done: number) => void,
): CircuitEvaluation {
  return evaluateCircuit(
    setup.ctx,
    setup[split],
    circuitMask(circuit, setup.layout),
    calibrationFromRecord(circuit.calibration),
    mixSeed(seed, 0xe7a1),
    onStep,
  );
}

/** Mean loss of the unablated model on the test split: has the model learned the task? */
export function fullTestLoss(setup: PruneSetup): number {
  const keep = new Float32Array(setup.layout.total).fill(1);
  return mean(maskedLosses(setup.ctx, groupByLength(setup.test), setup.test.length, keep).losses);
}
