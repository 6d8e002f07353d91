import { setBackend } from "../../src/backend/index.js";
import { nativeThreads } from "../../src/backend/native.js";
import type { Model } from "../../src/model/model.js";
import { DEFAULT_SPARSE_THRESHOLD } from "../../src/model/sparse_weights.js";
import { windowLoss } from "../../src/train/window_loss.js";
import { checkMinAliveFits } from "../../src/train/sparsity_plan.js";
import { createLearner, projectToBudget, trainStep } from "../../src/train/step.js";
import type { TrainConfig } from "../../src/train/train_config.js";

/**
 * Our side of the training benchmark: the engine's two training modes ("exact": the recipe's numbers
 * with sparse kernels; "fast": masked weight gradients between dense refreshes). A slot may hold the
 * reason a mode is missing instead, and results.json then reports null and that reason.
 */
export interface OursTraining {
  readonly name: string;
  readonly description: string;
  create(model: Model, train: TrainConfig, threads: number): OursLearner;
}

export interface OursLearner {
  /** Projects every pruned matrix to the final budget (step timing starts at the target sparsity). */
  projectToTarget(): void;
  /** One optimizer step i of the recipe on windows [b, t]; returns the step's loss. */
  step(i: number, tokens: Int32Array, b: number, t: number): number;
  /** Mean next-token loss over windows [n, t] in batches of `batch`. */
  evalLoss(windows: Int32Array, t: number, batch: number): number;
}

export type SparseTrainingMode = "exact" | "fast";

/** Every sparse training mode, in the order the benchmark measures them. */
export const TRAINING_MODES: readonly SparseTrainingMode[] = ["exact", "fast"];

export interface Unavailable {
  unavailable: string;
}

/**
 * The project's trainer, trainStep (forward, backward, RMS norm, Adam, top-k, wd), in one of its
 * weight-gradient modes (docs/training.md): "exact" computes the dense weight gradient every step as
 * the reference does (pruned weights can regrow); "fast" computes it only at the kept weights (SDDMM)
 * except on every dense_grad_every-th step. Both run forward and input gradients on the CSR kernels.
 */
function trainStepMode(mode: SparseTrainingMode): OursTraining {
  return {
    name: mode,
    description:
      mode === "exact"
        ? `src/train/step.ts trainStep, --mode exact: forward and input gradients on the CSR kernels for weight matrices at most ${DEFAULT_SPARSE_THRESHOLD} dense (above it dense products, skipping the zeros of an operand that went through an AbsTopK), dense weight gradients (skipping dy's zeros where dy went through an AbsTopK) and Adam moments every step (the reference's numbers)`
        : `src/train/step.ts trainStep, --mode fast: forward and input gradients on the CSR kernels for weight matrices at most ${DEFAULT_SPARSE_THRESHOLD} dense (above it dense products, skipping the zeros of an operand that went through an AbsTopK); the weight gradient of those matrices only at kept weights (SDDMM) except every dense_grad_every-th step, of denser ones (early in the anneal) dense; dense Adam moments`,
    create(model, train, threads) {
      setBackend("native");
      nativeThreads(threads);
      const learner = createLearner(model, { ...train, weight_grad_mode: mode });
      checkMinAliveFits(learner.plan, train, "benchmark");
      return {
        projectToTarget() {
          if (train.pfrac !== null) projectToBudget(learner, train.pfrac);
        },
        step(i, tokens, b, t) {
          return trainStep(learner, i, { tokens, b, t }).loss;
        },
        evalLoss(windows, t, batch) {
          return windowLoss(learner.model, windows, t, { batchSize: batch }).loss;
        },
      };
    },
  };
}

/** Sparse training modes; an entry may instead give the reason a mode cannot be measured. */
export const SPARSE_TRAINING: Record<SparseTrainingMode, OursTraining | Unavailable> = {
  exact: trainStepMode("exact"),
  fast: trainStepMode("fast"),
};

export function isAvailable(t: OursTraining | Unavailable): t is OursTraining {
  return !("unavailable" in t);
}

/** Every trainer the benchmark can run, by name. */
export function oursTrainers(): Map<string, OursTraining> {
  const m = new Map<string, OursTraining>();
  for (const t of Object.values(SPARSE_TRAINING)) if (isAvailable(t)) m.set(t.name, t);
  return m;
}
