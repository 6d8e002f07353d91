import type { TrainConfig } from "../../src/train/train_config.js";

/*
 * The JSON specs a measurement child reads (argv[3]) and the JSON results it writes to `out`. Our
 * child (bench/child.ts) and the PyTorch scripts (bench/torch/*.py) take the same specs, so both sides
 * are told exactly the same thing.
 */

export interface InferenceSpec {
  /** config.json + model.safetensors (sparse layout). */
  modelDir: string;
  /** safetensors with input_ids I32 [b, t]. */
  inputs: string;
  warmup: number;
  runs: number;
  threads: number;
  /** Where to write the logits of the last run as raw little-endian float32; null = don't. */
  logitsOut: string | null;
  out: string;
}

export interface InferenceResult {
  impl: string;
  description: string;
  loadSeconds: number;
  /** Seconds of each timed forward. */
  times: number[];
  medianSeconds: number;
  /** CPU seconds of the whole process (all threads) per timed forward: a cross-check under contention. */
  cpuTimes: number[];
  medianCpuSeconds: number;
  peakRssBytes: number | null;
  /** Extra facts about the runtime (torch version, BLAS, threads). */
  runtime?: Record<string, unknown>;
}

/** Our activations at every AbsTopK site, for diagnosing a logit difference (child task "hooks"). */
export interface HooksSpec {
  modelDir: string;
  inputs: string;
  threads: number;
  /** safetensors written with one F32 tensor per hook (reference hook names). */
  hooksOut: string;
  out: string;
}

/** bench/torch/diagnose.py: compares our hooks with the baseline's. */
export interface DiagnoseSpec {
  modelDir: string;
  inputs: string;
  threads: number;
  hooks: string;
  out: string;
}

/** The first AbsTopK site where the two sides differ (null: none, the difference arises elsewhere). */
export interface DiagnoseResult {
  sitesCompared: number;
  divergence: {
    hook: string;
    position: number;
    positionsAffectedAtThisSite: number;
    keptSetDiffers: boolean;
    k: number;
    kthAbs: number | null;
    nextAbs: number | null;
    /** (|x|_(k) − |x|_(k+1)) / |x|_(k) on the baseline's side, in float64 of its float32 values. */
    relativeGap: number | null;
  } | null;
}

export interface TrainSpecBase {
  /** Initial weights (config.json + model.safetensors). */
  initDir: string;
  /** safetensors with `train` I32 [steps, b, t] (the batch of step i is row i) and `val` I32 [n, t]. */
  data: string;
  /** Every hyperparameter, defaults resolved. */
  train: TrainConfig;
  threads: number;
  /** Our side: which trainer (bench/ours/training.ts) to run; ignored by PyTorch. */
  trainer: string;
  out: string;
}

export interface TrainStepSpec extends TrainSpecBase {
  /** Steps are run with pfrac_anneal off, after projecting to the target budget once. */
  warmup: number;
  timed: number;
}

export interface TrainStepResult {
  impl: string;
  description: string;
  times: number[];
  medianSeconds: number;
  cpuTimes: number[];
  medianCpuSeconds: number;
  losses: number[];
  peakRssBytes: number | null;
  runtime?: Record<string, unknown>;
}

export interface TrainRunSpec extends TrainSpecBase {
  /** Validate before step 0, after every evalEvery-th step and after the last step (S). */
  evalEvery: number;
  evalBatch: number;
}

export interface EvalPoint {
  /** Steps completed (0 = before training). */
  steps: number;
  /** Training seconds so far, validation time excluded. */
  trainSeconds: number;
  /** The same in CPU seconds of the whole process (all threads). */
  trainCpuSeconds: number;
  valLoss: number;
}

export interface TrainRunResult {
  impl: string;
  description: string;
  evals: EvalPoint[];
  losses: number[];
  totalTrainSeconds: number;
  totalTrainCpuSeconds: number;
  totalEvalSeconds: number;
  peakRssBytes: number | null;
  runtime?: Record<string, unknown>;
}

/** Whether validation follows step i of a run with S = total_steps (steps i = 0..S). */
export function evalAfterStep(i: number, evalEvery: number, totalSteps: number): boolean {
  return i === totalSteps || (evalEvery > 0 && (i + 1) % evalEvery === 0);
}
