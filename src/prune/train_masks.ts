import { mixSeed } from "../random/seed.js";
import { Rng } from "../random/rng.js";
import type { MaskTrainConfig } from "./config.js";
import { maskedLossGradient, type PruneContext } from "../circuit/masked_run.js";
import { maskLearningRate } from "./schedule.js";
import { heavisideSurrogate, masksFromTau } from "./surrogate.js";
import { groupByLength, type SequenceGroup, type TaskSequence } from "../circuit/task_data.js";

/** One optimiser step as logged. */
export interface MaskStepLog {
  step: number;
  /** Mean task loss of the step's batch (with the masks as they were before the update). */
  loss: number;
  /** Nodes with τ ≥ 0 (m = 1) during the step. */
  kept: number;
  lr: number;
}

export interface MaskTrainResult {
  /** Final mask logits, one per node, in [−1, 1]. */
  tau: Float64Array;
  log: MaskStepLog[];
}

/**
 * Learns one mask logit τ per node (spec E.3): forward m = H(τ), backward through the sigmoid-derivative
 * surrogate; loss = mean task loss + k_coef·Σm; AdamW (decoupled decay on τ), lr warmup then linear decay,
 * gradient clipped to a global L2 norm, τ clamped to [−1, 1] after every step. `seqs` holds the training
 * pairs' sequences A, B, A, B, ... (pair p = sequences 2p and 2p+1); each step takes `batch_pairs` pairs
 * from a seeded permutation, reshuffled every epoch.
 */
export function trainMasks(
  ctx: PruneContext,
  seqs: readonly TaskSequence[],
  cfg: MaskTrainConfig,
  onStep?: (log: MaskStepLog) => void,
): MaskTrainResult {
  const n = ctx.layout.total;
  const rng = new Rng(cfg.seed);
  const tau = new Float64Array(n);
  for (let i = 0; i < n; i++) tau[i] = clamp(cfg.init_noise_bias + cfg.init_noise_scale * rng.normal());
  const state = maskOptimizerState(n);
  const nPairs = seqs.length / 2;
  const perStep = Math.min(cfg.batch_pairs, nPairs);
  const order = new Rng(mixSeed(cfg.seed, 0x0b47c4));
  let perm: number[] = [];
  let cursor = nPairs;
  const log: MaskStepLog[] = [];
  for (let step = 0; step < cfg.steps; step++) {
    const batch: number[] = []; // sequence indices: two per pair
    while (batch.length < 2 * perStep) {
      if (cursor >= nPairs) {
        perm = shuffled(nPairs, order);
        cursor = 0;
      }
      const p = perm[cursor++];
      batch.push(2 * p, 2 * p + 1);
    }
    const lr = maskLearningRate(step, cfg.steps, cfg.lr, cfg.lr_warmup_frac);
    const groups = groupByLength(seqs, batch);
    const { loss, kept } = maskTrainingStep(ctx, groups, tau, state, cfg, {
      step,
      lr,
      draw: mixSeed(cfg.seed, step),
    });
    const entry = { step, loss, kept, lr };
    log.push(entry);
    onStep?.(entry);
  }
  return { tau, log };
}

/** AdamW moments of the mask logits, and the per-step buffers reused across steps. */
export interface MaskOptimizerState {
  m1: Float64Array<ArrayBuffer>;
  m2: Float64Array<ArrayBuffer>;
  mask: Float32Array<ArrayBuffer>;
  dMask: Float64Array<ArrayBuffer>;
  grad: Float64Array<ArrayBuffer>;
}

export function maskOptimizerState(nodes: number): MaskOptimizerState {
  return {
    m1: new Float64Array(nodes),
    m2: new Float64Array(nodes),
    mask: new Float32Array(nodes),
    dMask: new Float64Array(nodes),
    grad: new Float64Array(nodes),
  };
}

/**
 * One optimiser step on the batch `groups` (step index `at.step`, from 0, at learning rate `at.lr`):
 * m = H(τ), the mean task loss and its gradient to the masks, the surrogate gradient + k_coef, the global
 * L2 clip, AdamW (decay first, as torch orders it) and τ clamped to [−1, 1]. Returns the batch's loss
 * (masks as they were before the update) and the nodes kept during the step.
 */
export function maskTrainingStep(
  ctx: PruneContext,
  groups: readonly SequenceGroup[],
  tau: Float64Array,
  state: MaskOptimizerState,
  cfg: MaskTrainConfig,
  at: { step: number; lr: number; draw?: number },
): { loss: number; kept: number } {
  const { m1, m2, mask, dMask, grad } = state;
  const n = tau.length;
  masksFromTau(tau, mask);
  dMask.fill(0);
  const loss = maskedLossGradient(ctx, groups, mask, { dMask }, at.draw);
  let sq = 0;
  for (let i = 0; i < n; i++) {
    grad[i] = (dMask[i] + cfg.k_coef) * heavisideSurrogate(tau[i], cfg.heaviside_temp);
    sq += grad[i] * grad[i];
  }
  const norm = Math.sqrt(sq);
  const clip = norm > cfg.grad_clip ? cfg.grad_clip / norm : 1;
  const lr = at.lr;
  const beta2 = 1 - cfg.inv_beta2;
  const t = at.step + 1;
  const bc1 = 1 - cfg.beta1 ** t;
  const bc2 = 1 - beta2 ** t;
  let kept = 0;
  for (let i = 0; i < n; i++) {
    kept += mask[i];
    const g = grad[i] * clip;
    m1[i] = cfg.beta1 * m1[i] + (1 - cfg.beta1) * g;
    m2[i] = beta2 * m2[i] + (1 - beta2) * g * g;
    // AdamW as torch orders it: decay first, then the Adam step.
    let v = tau[i] * (1 - lr * cfg.wd);
    v -= (lr * (m1[i] / bc1)) / (Math.sqrt(m2[i] / bc2) + cfg.adam_eps);
    tau[i] = clamp(v);
  }
  return { loss, kept };
}

function clamp(x: number): number {
  return x < -1 ? -1 : x > 1 ? 1 : x;
}

function shuffled(n: number, rng: Rng): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
