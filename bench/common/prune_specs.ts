import type { MaskTrainConfig } from "../../src/prune/config.js";

/*
 * Specs and results of the pruning benchmark's children (bench/prune_child.ts for ours,
 * bench/torch/prune_step.py for PyTorch's mask-training step): both read the same files.
 */

/** The planted model's shape and noise (src/prune/synthetic.ts plantedModel options). */
export interface PlantedShape {
  nLayer: number;
  dModel: number;
  nHead: number;
  dHead: number;
  dMlp: number;
  vocab: number;
  blockSize: number;
  afrac: number;
  noiseDensity: number;
  noiseScale: number;
  logitGain: number;
  seed: number;
}

/** Files every pruning child reads, written once by the prune-setup child. */
export interface PruneFiles {
  /** Checkpoint directory (config.json + model.safetensors, sparse layout). */
  modelDir: string;
  /**
   * safetensors: `ids` I32 (every sequence, concatenated: pair p = sequences 2p (marker A), 2p+1),
   * `lengths`, `correct`, `alt` I32 [sequences].
   */
  taskFile: string;
  /** safetensors: one F32 [width] per node site (the mean activations: mean ablation). */
  meansFile: string;
}

export interface PruneSetupSpec extends PruneFiles {
  model: PlantedShape;
  pairs: { count: number; minLen: number; maxLen: number; seed: number };
  /** Random windows the means are computed over. */
  means: { count: number; length: number; seed: number };
  out: string;
}

export interface PruneSetupResult {
  nodes: number;
  /** Nonzeros / entries of the attention, MLP and unembedding matrices. */
  matrixNonzeros: number;
  matrixEntries: number;
  seconds: number;
}

/** One mask-training step (src/prune/train_masks.ts) on the first `pairs` pairs, timed. */
export interface PruneStepSpec extends PruneFiles {
  pairs: number;
  /** The mask-training settings (csp prune's defaults; PyTorch reads its hyperparameters from here). */
  mask: MaskTrainConfig;
  warmup: number;
  timed: number;
  threads: number;
  out: string;
}

export interface PruneStepResult {
  impl: string;
  description: string;
  times: number[];
  medianSeconds: number;
  cpuTimes: number[];
  medianCpuSeconds: number;
  /** The task loss of each step's batch (step 0: every node kept, τ starts at ≈ 0.1). */
  losses: number[];
  /** Nodes kept (τ ≥ 0) during each step. */
  kept: number[];
  peakRssBytes: number | null;
  runtime?: Record<string, unknown>;
}

/** `csp prune`'s work (pruneTask with PRUNE_JOB_DEFAULTS) on the planted task, mask steps possibly fewer. */
export interface PruneRunSpec extends PruneFiles {
  /** Training pairs (the first ones of the task file). */
  trainPairs: number;
  maskSteps: number;
  threads: number;
  out: string;
}

export interface PruneRunResult {
  maskSteps: number;
  /** Wall seconds of pruneTask (means and loading excluded), and per phase. */
  seconds: number;
  phases: { label: string; seconds: number }[];
  k: number;
  nodes: number;
  reached: boolean;
  lossFull: number;
  lossCircuit: number;
  /** The planted nodes (PLANTED_ESSENTIAL_NODES) missing from the circuit; [] = recovered. */
  plantedMissing: string[];
  planted: string[];
  peakRssBytes: number | null;
  runtime?: Record<string, unknown>;
}
