import { DEFAULT_CONFIG, type GPTConfig } from "../model/config.js";
import { CspError } from "../errors.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "./train_config.js";

/**
 * A named starting point for `csp train`: model shape, recipe and tokenizer size. Flags override it.
 * The L0 fractions follow the reference mapping: weight matrices keep pfrac/(ef·efm), wte and lm_head
 * pfrac/ef. Every preset uses the paper's recipe (sharkfin lr, L0 anneal over 1%→50%, min-alive 4,
 * Adam ε 0.1, gradient RMS normalisation, AbsTopK 0.25 on all eight locations, bigram table).
 */
export interface Preset {
  name: PresetName;
  description: string;
  /** Model fields; vocab_size is replaced by the tokenizer's size. */
  model: GPTConfig;
  train: TrainConfig;
  /** Vocabulary size when the BPE is trained from the corpus (no --tokenizer). */
  tokenizerVocab: number;
}

export const PRESET_NAMES = ["tiny", "small", "bench"] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

const SPARSE_LOCS = "attn_in,attn_out,mlp_in,mlp_out,mlp_neuron,attn_v,attn_k,attn_q";

function model(fields: Partial<GPTConfig>): GPTConfig {
  return {
    ...DEFAULT_CONFIG,
    rms_norm: true,
    tied_unembed: false,
    enable_bigram_table: true,
    learnable_bigram_table: true,
    afrac: 0.25,
    afrac_loctypes: SPARSE_LOCS,
    grad_checkpointing: false,
    flash: true,
    sink: false,
    ...fields,
  };
}

/**
 * The weight-gradient mode of every preset, hence of `csp train` without --mode: "exact", the published
 * recipe. Measured against "fast" (docs/training.md, "Weight-gradient modes"): the same validation loss,
 * slightly worse task losses over three seeds, and a step-time gain only for very sparse wide models.
 */
export const DEFAULT_TRAINING_MODE: TrainConfig["weight_grad_mode"] = "exact";

function train(fields: Partial<TrainConfig>): TrainConfig {
  return { ...DEFAULT_TRAIN_CONFIG, weight_grad_mode: DEFAULT_TRAINING_MODE, ...fields };
}

const PRESETS: Record<PresetName, Preset> = {
  // Seconds on one core: for tests and smoke runs. Weights keep 1/4, embeddings 1/2.
  tiny: {
    name: "tiny",
    description: "2 layers, d_model 32, ctx 32: trains in seconds (tests, smoke runs)",
    model: model({
      n_layer: 2,
      d_model: 32,
      n_head: 2,
      d_head: 16,
      d_mlp: 128,
      block_size: 32,
      vocab_size: 320,
    }),
    train: train({
      total_steps: 150,
      global_bs: 8,
      n_ctx: 32,
      lr: 1e-2,
      pfrac: 1,
      expansion_factor: 2,
      expansion_factor_mlp: 2,
      eval_every: 50,
      eval_batches: 2,
      checkpoint_every: 50,
    }),
    tokenizerVocab: 320,
  },
  // The demo: under 2 minutes of training on two cores, samples that look like Python. Two layers rather than four:
  // at this compute budget the shallower model reaches a lower loss (it sees ~1.7× the tokens).
  // Weights keep 1/8, embeddings 1/4.
  small: {
    name: "small",
    description:
      "2 layers, d_model 128, ctx 128, 1024-token BPE: the demo (about 80 s of training on 2 cores)",
    model: model({
      n_layer: 2,
      d_model: 128,
      n_head: 8,
      d_head: 16,
      d_mlp: 512,
      block_size: 128,
      vocab_size: 1024,
    }),
    train: train({
      total_steps: 3000,
      global_bs: 8,
      n_ctx: 128,
      lr: 1e-2,
      pfrac: 0.5,
      expansion_factor: 2,
      expansion_factor_mlp: 2,
      eval_every: 100,
      eval_batches: 8,
      checkpoint_every: 100,
    }),
    tokenizerVocab: 1024,
  },
  // Benchmark shape (ef = efm = 2 of the reference's 256-wide base): weights keep 1/64, embeddings 1/32.
  bench: {
    name: "bench",
    description: "4 layers, d_model 512, 32 heads × 16, d_mlp 2048, ctx 256, batch 8, weights keep 1/64",
    model: model({
      n_layer: 4,
      d_model: 512,
      n_head: 32,
      d_head: 16,
      d_mlp: 2048,
      block_size: 256,
      vocab_size: 2048,
    }),
    train: train({
      total_steps: 2000,
      global_bs: 8,
      n_ctx: 256,
      lr: 1.28e-2,
      pfrac: 0.0625,
      expansion_factor: 2,
      expansion_factor_mlp: 2,
      eval_every: 100,
      eval_batches: 4,
      checkpoint_every: 100,
    }),
    tokenizerVocab: 2048,
  },
};

export function getPreset(name: string): Preset {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new CspError(`--preset: unknown preset "${name}" (choose ${PRESET_NAMES.join(", ")})`);
  }
  const p = PRESETS[name as PresetName];
  return { ...p, model: { ...p.model }, train: { ...p.train, adam_betas: [...p.train.adam_betas] } };
}
