import { IGNORE_INDEX, type Backend } from "../backend/backend.js";
import { getBackend } from "../backend/index.js";
import { backward, forward } from "../model/gpt.js";
import { StepWorkspace } from "../model/workspace.js";
import type { Model } from "../model/model.js";
import type { FloatArray, Tensor } from "../tensor/tensor.js";
import { adamStep, createAdamState, type AdamState } from "./adam.js";
import { globalNorm, normalizeGradRms } from "./grad_norm.js";
import { keepCount, l0Fraction, learningRateAt, pfracAt } from "./schedule.js";
import { sparsityPlan, type PruneTarget } from "./sparsity_plan.js";
import { projectTopK } from "./topk.js";
import type { TrainConfig } from "./train_config.js";
import { decayWeights } from "./weight_decay.js";

/** What one optimizer step needs besides the batch: the model, its optimizer state and the recipe. */
export interface Learner<A extends FloatArray = Float32Array> {
  model: Model<A>;
  adam: AdamState<A>;
  config: TrainConfig;
  /** The tensors projected each step (empty for dense training). */
  plan: PruneTarget[];
  /** Trained parameters (role "param"), in reference order. */
  trained: Map<string, A>;
  /** Tensors that get decoupled weight decay: trained, ≥ 2-D, not the bigram table. */
  decayed: A[];
  /** The gradient arrays backward() writes into, reused every step (filled by the first step). */
  gradBuffers: Map<string, Tensor>;
  /** The activation arrays of a step's forward and backward, reused every step. */
  workspace: StepWorkspace;
}

/** The schedule values and measurements of one step, as logged and as the fixture records them. */
export interface StepRecord {
  step: number;
  lr: number;
  /** pfrac_i; null for dense training. */
  pfrac: number | null;
  /** Loss of this step's forward pass (parameters after the previous step). */
  loss: number;
  /** Global gradient L2 norm before the RMS normalisation. */
  gradNorm: number;
  /** Per pruned tensor: the kept fraction and k used at this step. */
  keep: Map<string, { l0frac: number; k: number }>;
}

export function createLearner<A extends FloatArray>(model: Model<A>, config: TrainConfig): Learner<A> {
  const trained = new Map<string, A>();
  const decayed: A[] = [];
  for (const spec of model.specs) {
    if (spec.role !== "param") continue;
    const data = model.params.get(spec.name)!.data;
    trained.set(spec.name, data);
    if (spec.shape.length >= 2 && spec.name !== "bigram_table") decayed.push(data);
  }
  return {
    model,
    adam: createAdamState(trained),
    config,
    plan: sparsityPlan(model.specs, model.config, config),
    trained,
    decayed,
    gradBuffers: new Map(),
    workspace: new StepWorkspace(),
  };
}

/**
 * Next-token targets for a batch of windows [B, T]: position t predicts token t + 1; the last position
 * of each window has no target (ignored), exactly as train.py's CE(logits[:, :-1], toks[:, 1:]).
 */
export function nextTokenTargets(tokens: Int32Array, b: number, t: number): Int32Array {
  const targets = new Int32Array(b * t);
  for (let r = 0; r < b; r++) {
    for (let c = 0; c < t - 1; c++) targets[r * t + c] = tokens[r * t + c + 1];
    targets[r * t + t - 1] = IGNORE_INDEX;
  }
  return targets;
}

/** Projects every planned tensor to its budget at pfrac_i; returns the L0frac and k used for each. */
export function projectToBudget<A extends FloatArray>(
  learner: Learner<A>,
  pfracI: number,
  be: Backend = getBackend(),
): Map<string, { l0frac: number; k: number }> {
  const keep = new Map<string, { l0frac: number; k: number }>();
  for (const target of learner.plan) {
    const l0frac = l0Fraction(target.rule, pfracI, learner.config);
    const k = keepCount(l0frac, target.rows * target.cols);
    const values = learner.trained.get(target.name)!;
    projectTopK({ values, rows: target.rows, cols: target.cols, k, minAlive: target.minAlive }, be);
    keep.set(target.name, { l0frac, k });
  }
  return keep;
}

/**
 * One step of the official loop (fixture README, steps 1–10): schedule; forward and backward on the
 * batch; gradient RMS normalisation; Adam; top-k projection at pfrac_i (min-alive included); decoupled
 * weight decay. `step` is the loop index i (0-based); the optimizer's own counter must equal it.
 */
export function trainStep<A extends FloatArray>(
  learner: Learner<A>,
  step: number,
  batch: { tokens: Int32Array; b: number; t: number },
  opts: { backend?: Backend } = {},
): StepRecord {
  const c = learner.config;
  const be = opts.backend ?? getBackend();
  if (learner.adam.step !== step) {
    throw new Error(`trainStep: optimizer has taken ${learner.adam.step} steps, asked for step ${step}`);
  }
  const lr = learningRateAt(step, c);
  const pfrac = c.pfrac === null ? null : pfracAt(step, c);

  const targets = nextTokenTargets(batch.tokens, batch.b, batch.t);
  // Fast mode skips the dense weight gradient except on refresh steps (then zeros may regrow).
  const masked = c.weight_grad_mode === "fast" && c.pfrac !== null && step % c.dense_grad_every !== 0;
  const fwd = forward(learner.model, batch.tokens, batch.b, batch.t, {
    targets,
    keepCache: true,
    backend: be,
    weightGrad: masked ? "masked" : "dense",
    workspace: learner.workspace,
  });
  const { grads } = backward(learner.model, fwd, { backend: be, gradBuffers: learner.gradBuffers });
  for (const [name, g] of grads) learner.gradBuffers.set(name, g);
  const gradArrays: FloatArray[] = [];
  const gradMap = new Map<string, FloatArray>();
  for (const name of learner.trained.keys()) {
    const g = grads.get(name);
    if (!g) throw new Error(`trainStep: backward() returned no gradient for "${name}"`);
    gradArrays.push(g.data);
    gradMap.set(name, g.data);
  }
  const gradNorm = c.gradclip
    ? normalizeGradRms(gradArrays, c.grad_rms_eps, be).norm
    : globalNorm(gradArrays, be);

  adamStep(
    learner.trained,
    gradMap,
    learner.adam,
    { lr, beta1: c.adam_betas[0], beta2: c.adam_betas[1], eps: c.adam_eps },
    be,
  );
  const keep = pfrac === null ? new Map() : projectToBudget(learner, pfrac, be);
  decayWeights(learner.decayed, c.weight_decay, lr, be);
  return { step, lr, pfrac, loss: fwd.loss ?? NaN, gradNorm, keep };
}

/** Nonzero entries of the pruned tensors, and their total size. */
export function prunedNonzeros<A extends FloatArray>(
  learner: Learner<A>,
): { nonzero: number; total: number } {
  let nonzero = 0;
  let total = 0;
  for (const t of learner.plan) {
    const v = learner.trained.get(t.name)!;
    total += v.length;
    for (let i = 0; i < v.length; i++) if (v[i] !== 0) nonzero++;
  }
  return { nonzero, total };
}
