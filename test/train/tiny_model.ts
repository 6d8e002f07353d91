import { DEFAULT_CONFIG, type GPTConfig } from "../../src/model/config.js";

/** The train-step fixture's shape (2 layers, d_model 32, vocab 64), without activation sparsity. */
export const TINY_MODEL: GPTConfig = {
  ...DEFAULT_CONFIG,
  vocab_size: 64,
  block_size: 16,
  n_layer: 2,
  n_head: 2,
  d_head: 16,
  d_model: 32,
  d_mlp: 128,
  rms_norm: true,
  tied_unembed: false,
  enable_bigram_table: true,
  learnable_bigram_table: true,
};
