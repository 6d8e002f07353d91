import { CspError } from "../errors.js";

/**
 * Every hyperparameter of a training run. Field names follow the official `train.py` keyword
 * arguments (snake_case, as in the train-step fixture's `train` object) because this object is
 * written verbatim under the `train` key of the checkpoint's config.json.
 */
export interface TrainConfig {
  /** Seed of the weight initialisation. */
  seed: number;
  /** Seed of the batch order (the data loader's stream). */
  data_seed: number;
  /** S: the loop runs steps i = 0..S inclusive (S + 1 optimizer steps), as the reference does. */
  total_steps: number;
  /** Sequences per step. */
  global_bs: number;
  /** Tokens per sequence; the loss is taken on the first n_ctx - 1 positions (next-token targets). */
  n_ctx: number;
  /** Peak learning rate. */
  lr: number;
  /** Warmup length as a fraction of S (W = int(frac·S)); null = no warmup. */
  lr_warmup_frac: number | null;
  /** Linear decay from W to S; false = constant after warmup. */
  lr_decay: boolean;
  /**
   * Target parameter budget in units of a nominal 1× model (spec B.4); weight matrices keep
   * pfrac/(ef·efm) of their entries. null = dense training (no top-k projection at all).
   */
  pfrac: number | null;
  /** Anneal pfrac from pfrac_anneal_initial down to pfrac; false = project to pfrac from step 0. */
  pfrac_anneal: boolean;
  pfrac_anneal_mode: "linear" | "power_law";
  /** Linear mode: pfrac_i = P0 + (pfrac − P0)·(1 − (1 − progress)^exponent). */
  pfrac_anneal_exponent: number;
  pfrac_anneal_start_frac: number;
  pfrac_anneal_stop_frac: number;
  /** P0; "max" = expansion_factor² (fully dense). */
  pfrac_anneal_initial: number | "max";
  /** Multiply the lr by sqrt(pfrac / pfrac_i) (the "sharkfin" schedule). */
  pfrac_anneal_schedule_lr_with_L0: boolean;
  /** ef: how much wider than the nominal 1× model the residual is; enters the L0 fractions. */
  expansion_factor: number;
  /** efm; null = expansion_factor. */
  expansion_factor_mlp: number | null;
  /** Min-alive: force the largest weights of every neuron / attention channel into the top-k. */
  achyuta_mixed_neuronwise_v2: boolean;
  minimum_alive_per_neuron: number;
  adam_betas: [number, number];
  adam_eps: number;
  /** Decoupled weight decay on every ≥2-D parameter except the bigram table: p −= wd·lr_i·p. */
  weight_decay: number;
  /** Gradient RMS normalisation: g ← g / (‖g‖/√N + grad_rms_eps) over all trained parameters. */
  gradclip: boolean;
  grad_rms_eps: number;
  /**
   * Also project biases with the embedding schedule (the paper's "sparse biases"). The official
   * train.py computes a bias k but never zeroes 1-D tensors, so its biases stay dense: false (default)
   * reproduces the script.
   */
  sparse_biases: boolean;
  /**
   * "exact": the weight gradient is dense every step, as the reference (pruned weights can regrow).
   * "fast": the weight gradient of sparse matrices is computed only at their current nonzeros (SDDMM),
   * with a dense gradient every `dense_grad_every` steps so that pruned weights can still re-enter.
   */
  weight_grad_mode: "exact" | "fast";
  dense_grad_every: number;
  /** Evaluate validation loss every this many steps (and at the last step); 0 = never. */
  eval_every: number;
  /** Validation batches (of global_bs × n_ctx tokens) per evaluation. */
  eval_batches: number;
  /** Write a resumable checkpoint every this many steps (and at the end); 0 = only at the end. */
  checkpoint_every: number;
  /**
   * Keep the weights every this many completed steps, and after the last one, in snapshots/
   * (src/train/snapshots.ts); 0 = no snapshots.
   */
  snapshot_every: number;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  seed: 0,
  data_seed: 1,
  total_steps: 1000,
  global_bs: 8,
  n_ctx: 128,
  lr: 1.28e-2,
  lr_warmup_frac: 0.01,
  lr_decay: true,
  pfrac: 0.25,
  pfrac_anneal: true,
  pfrac_anneal_mode: "linear",
  pfrac_anneal_exponent: 1,
  pfrac_anneal_start_frac: 0.01,
  pfrac_anneal_stop_frac: 0.5,
  pfrac_anneal_initial: "max",
  pfrac_anneal_schedule_lr_with_L0: true,
  expansion_factor: 4,
  expansion_factor_mlp: null,
  achyuta_mixed_neuronwise_v2: true,
  minimum_alive_per_neuron: 4,
  adam_betas: [0.9, 0.95],
  adam_eps: 0.1,
  weight_decay: 0.1,
  gradclip: true,
  grad_rms_eps: 1e-5,
  sparse_biases: false,
  weight_grad_mode: "exact",
  dense_grad_every: 10,
  eval_every: 50,
  eval_batches: 4,
  checkpoint_every: 100,
  snapshot_every: 0,
};

/** efm as the reference resolves it (None → ef). */
export function mlpExpansion(c: TrainConfig): number {
  return c.expansion_factor_mlp ?? c.expansion_factor;
}

/** P0, the pfrac at the start of the anneal ("max" = ef², dense). */
export function initialPfrac(c: TrainConfig): number {
  return c.pfrac_anneal_initial === "max" ? c.expansion_factor ** 2 : c.pfrac_anneal_initial;
}

type Check = (v: unknown) => boolean;
const isPosInt: Check = (v) => Number.isInteger(v) && (v as number) > 0;
const isNonNegInt: Check = (v) => Number.isInteger(v) && (v as number) >= 0;
const isSafeInt: Check = (v) => Number.isSafeInteger(v);
const isPos: Check = (v) => typeof v === "number" && Number.isFinite(v) && v > 0;
const isNonNeg: Check = (v) => typeof v === "number" && Number.isFinite(v) && v >= 0;
const isFrac: Check = (v) => typeof v === "number" && v >= 0 && v <= 1;
const isBool: Check = (v) => typeof v === "boolean";

const FIELD_CHECKS: Record<keyof TrainConfig, [Check, string]> = {
  seed: [isSafeInt, "an integer"],
  data_seed: [
    (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 32,
    "an integer in 0..2^32-1",
  ],
  total_steps: [isPosInt, "a positive integer"],
  global_bs: [isPosInt, "a positive integer"],
  n_ctx: [(v) => Number.isInteger(v) && (v as number) >= 2, "an integer >= 2"],
  lr: [isNonNeg, "a non-negative number"],
  lr_warmup_frac: [(v) => v === null || isFrac(v), "a fraction in [0, 1] or null"],
  lr_decay: [isBool, "true or false"],
  pfrac: [(v) => v === null || isPos(v), "a positive number or null"],
  pfrac_anneal: [isBool, "true or false"],
  pfrac_anneal_mode: [(v) => v === "linear" || v === "power_law", '"linear" or "power_law"'],
  pfrac_anneal_exponent: [isPos, "a positive number"],
  pfrac_anneal_start_frac: [isFrac, "a fraction in [0, 1]"],
  pfrac_anneal_stop_frac: [isFrac, "a fraction in [0, 1]"],
  pfrac_anneal_initial: [(v) => v === "max" || isPos(v), 'a positive number or "max"'],
  pfrac_anneal_schedule_lr_with_L0: [isBool, "true or false"],
  expansion_factor: [isPos, "a positive number"],
  expansion_factor_mlp: [(v) => v === null || isPos(v), "a positive number or null"],
  achyuta_mixed_neuronwise_v2: [isBool, "true or false"],
  minimum_alive_per_neuron: [isNonNegInt, "a non-negative integer"],
  adam_betas: [
    (v) => Array.isArray(v) && v.length === 2 && v.every((b) => typeof b === "number" && b >= 0 && b < 1),
    "a pair of numbers in [0, 1)",
  ],
  adam_eps: [isPos, "a positive number"],
  weight_decay: [isNonNeg, "a non-negative number"],
  gradclip: [isBool, "true or false"],
  grad_rms_eps: [isPos, "a positive number"],
  sparse_biases: [isBool, "true or false"],
  weight_grad_mode: [(v) => v === "exact" || v === "fast", '"exact" or "fast"'],
  dense_grad_every: [isPosInt, "a positive integer"],
  eval_every: [isNonNegInt, "a non-negative integer"],
  eval_batches: [isPosInt, "a positive integer"],
  checkpoint_every: [isNonNegInt, "a non-negative integer"],
  snapshot_every: [isNonNegInt, "a non-negative integer"],
};

export interface ParsedTrainConfig {
  config: TrainConfig;
  /** Keys present in the input that are not training hyperparameters (derived values, notes). */
  ignoredKeys: string[];
}

/**
 * Reads a `train` object (ours, or the fixture's, whose extra derived keys are ignored); missing
 * fields take the defaults. `source` names the file or flag set in error messages.
 */
export function parseTrainConfig(
  raw: unknown,
  source: string,
  defaults: TrainConfig = DEFAULT_TRAIN_CONFIG,
): ParsedTrainConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new CspError(`${source}: "train" is not a JSON object`);
  }
  const config = { ...defaults, adam_betas: [...defaults.adam_betas] as [number, number] };
  const ignoredKeys: string[] = [];
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (key in FIELD_CHECKS) {
      const [check, what] = FIELD_CHECKS[key as keyof TrainConfig];
      if (!check(value))
        throw new CspError(`${source}: train.${key} must be ${what}, got ${JSON.stringify(value)}`);
      (config as unknown as Record<string, unknown>)[key] = Array.isArray(value) ? [...value] : value;
    } else {
      ignoredKeys.push(key);
    }
  }
  validateTrainConfig(config, source);
  return { config, ignoredKeys };
}

/** Refuses settings that contradict each other or that the reference formulas cannot evaluate. */
export function validateTrainConfig(c: TrainConfig, source: string): void {
  const fail = (problem: string): never => {
    throw new CspError(`${source}: ${problem}`);
  };
  for (const [key, [check, what]] of Object.entries(FIELD_CHECKS)) {
    const v = (c as unknown as Record<string, unknown>)[key];
    if (!check(v)) fail(`train.${key} must be ${what}, got ${JSON.stringify(v)}`);
  }
  const warmup = c.lr_warmup_frac === null ? 0 : Math.trunc(c.lr_warmup_frac * c.total_steps);
  if (c.lr_decay && warmup >= c.total_steps) {
    fail(`the warmup (${warmup} steps) must end before total_steps (${c.total_steps}) when lr_decay is on`);
  }
  if (c.pfrac !== null && c.pfrac_anneal) {
    if (!(c.pfrac_anneal_stop_frac > c.pfrac_anneal_start_frac)) {
      fail(
        `pfrac_anneal_stop_frac (${c.pfrac_anneal_stop_frac}) must be greater than pfrac_anneal_start_frac (${c.pfrac_anneal_start_frac})`,
      );
    }
    if (c.pfrac_anneal_mode === "power_law" && c.pfrac_anneal_start_frac === 0) {
      fail("pfrac_anneal_mode power_law needs pfrac_anneal_start_frac > 0 (it interpolates in log-step)");
    }
  }
  if (c.pfrac === null && c.sparse_biases)
    fail("sparse_biases needs a pfrac (dense training prunes nothing)");
  if (c.pfrac !== null) {
    const efm = mlpExpansion(c);
    const denom = c.expansion_factor * efm - c.pfrac;
    if (denom === 0) {
      fail(
        `pfrac (${c.pfrac}) must differ from expansion_factor·expansion_factor_mlp (the embedding schedule divides by their difference)`,
      );
    }
  }
}
