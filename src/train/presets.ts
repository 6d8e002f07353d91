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

export const PRESET_NAMES = [
  "tiny",
  "small",
  "bench",
  "zoo-sparse-ef1",
  "zoo-sparse-ef2",
  "zoo-sparse-ef4",
  "zoo-sparse-ef4-l0x4",
  "zoo-sparse-ef1-8x",
  "zoo-dense-d32",
  "zoo-dense-d64",
  "zoo-dense-d128",
] as const;
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

const PRESETS: Partial<Record<PresetName, Preset>> = {
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

/**
 * The zoo (docs/zoo.md): models along the paper's axes on one corpus and one token budget. Two layers,
 * ctx 128, 16-wide heads, a 2048-token BPE. The sparse models share one nonzero budget (pfrac 1/16 of the
 * 128-wide base) and differ in width: ef 1, 2, 4 keep 1/16, 1/64 and 1/256 of each weight matrix.
 * Min-alive keeps 1 weight per neuron, not 4: at 1/256 of a 512-wide matrix a row keeps 2 weights on
 * average, so 4 per neuron cannot fit (the paper's own sparsest models face the same bound).
 * The dense baselines bracket the sparse models' pretraining loss.
 */
const ZOO_STEPS = 3000;

/**
 * total_steps for `tokens`× the zoo's token budget: a run of total_steps N takes steps 0..N, so the zoo's
 * budget is 3001 steps and 8× it was trained as total_steps 8 × 3001 = 24008 (the committed sparse-ef1-8x).
 */
function zooSteps(tokens: number): number {
  return tokens === 1 ? ZOO_STEPS : tokens * (ZOO_STEPS + 1);
}

function zooModel(dModel: number): GPTConfig {
  return model({
    n_layer: 2,
    d_model: dModel,
    n_head: dModel / 16,
    d_head: 16,
    d_mlp: 4 * dModel,
    block_size: 128,
    vocab_size: 2048,
  });
}

/**
 * A zoo sparse preset at width ×ef; `l0` multiplies the zoo's nonzero budget (the L0 axis) and `tokens`
 * its token budget (the tokens lever: the schedule is stretched, every fraction in it stays the same).
 */
function zooSparse(ef: number, { l0 = 1, tokens = 1 } = {}): Preset {
  const name = `zoo-sparse-ef${ef}${l0 === 1 ? "" : `-l0x${l0}`}${tokens === 1 ? "" : `-${tokens}x`}`;
  const axis = [
    l0 === 1 ? "fixed nonzeros" : `${l0}× the nonzeros`,
    `width ×${ef}`,
    ...(tokens === 1 ? [] : [`${tokens}× the tokens`]),
  ].join(", ");
  return {
    name: name as PresetName,
    description: `zoo: 2 layers, d_model ${128 * ef}, weight matrices keep 1/${(16 * ef * ef) / l0} (${axis})`,
    model: zooModel(128 * ef),
    train: train({
      total_steps: zooSteps(tokens),
      global_bs: 16,
      n_ctx: 128,
      lr: 1e-2,
      pfrac: l0 / 16,
      expansion_factor: ef,
      expansion_factor_mlp: ef,
      minimum_alive_per_neuron: 1,
      weight_grad_mode: "fast",
      eval_every: 250,
      eval_batches: 8,
      checkpoint_every: 250,
    }),
    tokenizerVocab: 2048,
  };
}

function zooDense(dModel: number): Preset {
  return {
    name: `zoo-dense-d${dModel}` as PresetName,
    description: `zoo: dense baseline, 2 layers, d_model ${dModel}`,
    model: zooModel(dModel),
    train: train({
      total_steps: ZOO_STEPS,
      global_bs: 16,
      n_ctx: 128,
      lr: 1e-2,
      pfrac: null,
      pfrac_anneal: false,
      pfrac_anneal_schedule_lr_with_L0: false,
      expansion_factor: 1,
      expansion_factor_mlp: 1,
      eval_every: 250,
      eval_batches: 8,
      checkpoint_every: 250,
    }),
    tokenizerVocab: 2048,
  };
}

for (const ef of [1, 2, 4]) PRESETS[`zoo-sparse-ef${ef}` as PresetName] = zooSparse(ef);
// The L0 lever (docs/zoo.md): the widest width with 4× the nonzeros (weight matrices keep 1/64).
PRESETS["zoo-sparse-ef4-l0x4"] = zooSparse(4, { l0: 4 });
// The tokens lever (docs/zoo.md): the narrowest width on 8× the tokens, 50 min here, the zoo's best sparse model.
PRESETS["zoo-sparse-ef1-8x"] = zooSparse(1, { tokens: 8 });
for (const d of [32, 64, 128]) PRESETS[`zoo-dense-d${d}` as PresetName] = zooDense(d);

export function getPreset(name: string): Preset {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new CspError(`--preset: unknown preset "${name}" (choose ${PRESET_NAMES.join(", ")})`);
  }
  const p = PRESETS[name as PresetName]!;
  return { ...p, model: { ...p.model }, train: { ...p.train, adam_betas: [...p.train.adam_betas] } };
}
