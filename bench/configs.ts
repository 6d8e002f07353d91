import type { TrainConfig } from "../src/train/train_config.js";
import type { PlantedShape } from "./common/prune_specs.js";

/**
 * The model and run shapes the benchmark measures. Model configs use the reference GPTConfig field
 * names (they are written as config.json and read by both sides).
 */

const ALL_LOCTYPES = "attn_in,attn_out,mlp_in,mlp_out,mlp_neuron,attn_v,attn_k,attn_q";

/** csp_yolo2 (spec B.2): 8 layers, d_model 2048, 128 heads × 16, d_mlp 8192, sink, 32 concatenated positions. */
export const CSP_YOLO2 = {
  block_size: 1024,
  vocab_size: 2048,
  n_layer: 8,
  n_head: 128,
  d_head: 16,
  d_model: 2048,
  d_mlp: 8192,
  rms_norm: true,
  bias: true,
  activation_type: "gelu",
  residual_activation_type: "identity",
  afrac: 0.25,
  afrac_loctypes: ALL_LOCTYPES,
  tied_unembed: false,
  d_pos_emb: 32,
  sink: true,
  flash: true,
  enable_bigram_table: true,
  learnable_bigram_table: true,
  grad_checkpointing: false,
  dropout: 0,
} as const;

export interface InferenceSetup {
  label: string;
  model: Record<string, unknown>;
  /** Kept fraction of every attention/MLP weight matrix (csp_yolo2: pfrac/(ef·efm) = 1/1024). */
  matrixDensity: number;
  /** Kept fraction of wte and lm_head (csp_yolo2: pfrac/ef = 1/128). */
  embedDensity: number;
  batch: number;
  tokens: number;
  warmup: number;
  runs: number;
  seed: number;
}

export const INFERENCE_FULL: InferenceSetup = {
  label: "csp_yolo2",
  model: CSP_YOLO2,
  matrixDensity: 1 / 1024,
  embedDensity: 1 / 128,
  batch: 1,
  tokens: 256,
  warmup: 1,
  runs: 5,
  seed: 20251117,
};

export const INFERENCE_QUICK: InferenceSetup = {
  ...INFERENCE_FULL,
  label: "csp_yolo2 shape at 2 layers, d_model 256 (quick)",
  model: { ...CSP_YOLO2, n_layer: 2, d_model: 256, n_head: 16, d_mlp: 1024 },
  tokens: 64,
  runs: 3,
};

/** The training model: 4 layers, d_model 512 (ef 2), 32 heads × 16, d_mlp 2048, vocab 2048. */
export const TRAIN_MODEL = {
  ...CSP_YOLO2,
  n_layer: 4,
  n_head: 32,
  d_model: 512,
  d_mlp: 2048,
  d_pos_emb: null,
  sink: false,
} as const;

export interface TrainingSetup {
  label: string;
  model: Record<string, unknown>;
  /**
   * The recipe (train.py names). pfrac 1/16 with ef = efm = 2 keeps 1/64 of every weight matrix
   * (pfrac/(ef·efm)) and 1/32 of wte/lm_head (pfrac/ef). total_steps is the whole run's S.
   */
  train: Partial<TrainConfig> & { total_steps: number; global_bs: number; n_ctx: number };
  /** Step timing: steps run first (page faults, allocator) and steps timed, at the target sparsity. */
  stepWarmup: number;
  stepTimed: number;
  /** Whole run: validation every this many steps (and after the last). */
  evalEvery: number;
  valWindows: number;
  dataSeed: number;
}

export const TRAINING_FULL: TrainingSetup = {
  label: "4 layers, d_model 512, 32 heads × 16, d_mlp 2048, vocab 2048, context 256, batch 8",
  model: TRAIN_MODEL,
  train: {
    seed: 0,
    total_steps: 64,
    global_bs: 8,
    n_ctx: 256,
    lr: 1.28e-2,
    pfrac: 1 / 16,
    expansion_factor: 2,
    expansion_factor_mlp: 2,
    minimum_alive_per_neuron: 4,
    achyuta_mixed_neuronwise_v2: true,
    adam_eps: 0.1,
    weight_decay: 0.1,
  },
  stepWarmup: 1,
  stepTimed: 3,
  evalEvery: 8,
  valWindows: 8,
  dataSeed: 7,
};

export const TRAINING_QUICK: TrainingSetup = {
  ...TRAINING_FULL,
  label: "2 layers, d_model 256, 16 heads × 16, d_mlp 1024, vocab 512, context 64, batch 4 (quick)",
  model: {
    ...TRAIN_MODEL,
    n_layer: 2,
    d_model: 256,
    n_head: 16,
    d_mlp: 1024,
    vocab_size: 512,
    block_size: 256,
  },
  // ef = efm = 1 with pfrac 1/16: weights and embeddings keep 1/16 (min-alive 4 fits at this width).
  train: {
    ...TRAINING_FULL.train,
    total_steps: 20,
    global_bs: 4,
    n_ctx: 64,
    pfrac: 1 / 16,
    expansion_factor: 1,
    expansion_factor_mlp: 1,
  },
  stepWarmup: 1,
  stepTimed: 3,
  evalEvery: 4,
  valWindows: 8,
};

/** The pruning benchmark: a planted-circuit model (src/prune/synthetic.ts) and csp prune's defaults. */
export interface PruneSetup {
  label: string;
  model: PlantedShape;
  /** Task pairs written (the first `trainPairs` are the prune run's training pairs). */
  pairs: { count: number; minLen: number; maxLen: number; seed: number };
  trainPairs: number;
  means: { count: number; length: number; seed: number };
  /** Mask-training step timing: steps run first, steps timed (pairs per step: csp prune's default). */
  stepWarmup: number;
  stepTimed: number;
  /** The whole prune runs with the default mask steps when its estimate (step time × steps × 1.5) is at most this. */
  fullRunMaxSeconds: number;
  /** Otherwise a bounded run with this many mask steps (every other phase as the defaults say). */
  boundedMaskSteps: number;
}

/**
 * csp_yolo2's shape (8 layers, d_model 2048, 128 heads × 16, d_mlp 8192, vocab 2048, AbsTopK 0.25)
 * with noise weights at the released matrices' density (1/1024). The planted model has no sink,
 * positional embedding or bigram table (plantedModel's architecture).
 */
export const PRUNE_FULL: PruneSetup = {
  label:
    "csp_yolo2 shape (8 layers, d_model 2048, d_mlp 8192, 128 heads × 16), planted circuit, weights 1/1024",
  model: {
    nLayer: 8,
    dModel: 2048,
    nHead: 128,
    dHead: 16,
    dMlp: 8192,
    vocab: 2048,
    blockSize: 64,
    afrac: 0.25,
    noiseDensity: 1 / 1024,
    noiseScale: 0.3,
    logitGain: 1,
    seed: 1,
  },
  pairs: { count: 256, minLen: 24, maxLen: 64, seed: 2 },
  trainPairs: 256,
  means: { count: 64, length: 64, seed: 3 },
  stepWarmup: 1,
  stepTimed: 2,
  fullRunMaxSeconds: 900,
  boundedMaskSteps: 20,
};

export const PRUNE_QUICK: PruneSetup = {
  ...PRUNE_FULL,
  label: "planted circuit, 2 layers, d_model 256, d_mlp 1024, 16 heads × 16, weights 1/16 (quick)",
  model: { ...PRUNE_FULL.model, nLayer: 2, dModel: 256, nHead: 16, dMlp: 1024, noiseDensity: 1 / 16 },
  pairs: { ...PRUNE_FULL.pairs, count: 64 },
  trainPairs: 64,
  fullRunMaxSeconds: 0,
  boundedMaskSteps: 10,
};
