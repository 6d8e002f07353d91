import { setBackend } from "../../src/backend/index.js";
import { nativeThreads } from "../../src/backend/native.js";
import type { Model } from "../../src/model/model.js";
import { evaluateLoss } from "../../src/train/evaluate.js";
import { checkMinAliveFits } from "../../src/train/sparsity_plan.js";
import { createLearner, projectToBudget, trainStep } from "../../src/train/step.js";
import type { TrainConfig } from "../../src/train/train_config.js";

/**
 * Our side of the training benchmark. The engine's sparse training modes ("exact": the recipe with
 * sparse kernels, same numbers; "fast": approximations allowed) are not written yet; each slot holds
 * either an implementation or the reason it is missing, and results.json reports null + that reason.
 * The current trainer (src/train/step.ts on the dense engine) is always measured as well.
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

export interface Unavailable {
  unavailable: string;
}

/**
 * The project's trainer as it is: trainStep (forward, backward, RMS norm, Adam, top-k, wd) with the
 * engine's defaults: weight matrices at most DEFAULT_SPARSE_THRESHOLD dense run forward and input
 * gradients on the CSR kernels; weight gradients and Adam moments are dense, as the reference.
 */
export const currentTrainer: OursTraining = {
  name: "trainStep",
  description:
    'src/train/step.ts trainStep (the full recipe) at the engine\'s defaults: sparse forward/input-gradient kernels for weights at most the sparse threshold dense, dense weight gradients (weightGrad "dense") and Adam moments',
  create(model, train, threads) {
    setBackend("native");
    nativeThreads(threads);
    const learner = createLearner(model, train);
    checkMinAliveFits(learner.plan, train, "benchmark");
    return {
      projectToTarget() {
        if (train.pfrac !== null) projectToBudget(learner, train.pfrac);
      },
      step(i, tokens, b, t) {
        return trainStep(learner, i, { tokens, b, t }).loss;
      },
      evalLoss(windows, t, batch) {
        return evaluateLoss(learner.model, windows, t, { batchSize: batch }).loss;
      },
    };
  },
};

/** Sparse training modes; replace an entry with an implementation when the mode lands. */
export const SPARSE_TRAINING: Record<SparseTrainingMode, OursTraining | Unavailable> = {
  exact: {
    unavailable:
      'src/train has no training mode "exact" yet (today\'s trainStep, measured as step_speedup_current, already runs sparse forward/input-gradient kernels with dense weight gradients)',
  },
  fast: {
    unavailable:
      'src/train has no training mode "fast" yet (gpt.ts backward offers weightGrad "masked", but trainStep does not expose it)',
  },
};

export function isAvailable(t: OursTraining | Unavailable): t is OursTraining {
  return !("unavailable" in t);
}

/** Every trainer the benchmark can run, by name. */
export function oursTrainers(): Map<string, OursTraining> {
  const m = new Map<string, OursTraining>([[currentTrainer.name, currentTrainer]]);
  for (const t of Object.values(SPARSE_TRAINING)) if (isAvailable(t)) m.set(t.name, t);
  return m;
}

/** The trainer used for the whole run: the fastest mode that exists ("fast", then "exact", then today's). */
export function runTrainer(): OursTraining {
  for (const mode of ["fast", "exact"] as const) {
    const t = SPARSE_TRAINING[mode];
    if (isAvailable(t)) return t;
  }
  return currentTrainer;
}
