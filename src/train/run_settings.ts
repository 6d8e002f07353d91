import { CspError } from "../errors.js";
import { choiceFlag, intFlag, numFlag } from "../flag_values.js";
import type { GPTConfig } from "../model/config.js";
import { getPreset } from "./presets.js";
import { validateTrainConfig, type TrainConfig } from "./train_config.js";

/** `csp train` flags that shape the model and the recipe (strings as commander hands them over). */
export interface TrainFlags {
  preset?: string;
  steps?: string;
  dense?: boolean;
  seed?: string;
  dataSeed?: string;
  lr?: string;
  batchSize?: string;
  pfrac?: string;
  sparseBiases?: boolean;
  mode?: string;
  denseGradEvery?: string;
  vocabSize?: string;
  tokenizer?: string;
  evalEvery?: string;
  checkpointEvery?: string;
  snapshotEvery?: string;
}

/** A run's model and recipe before the tokenizer fixes vocab_size. */
export interface RunSettings {
  preset: string;
  model: GPTConfig;
  train: TrainConfig;
  /** Vocabulary of a BPE trained on the corpus (used only without --tokenizer). */
  tokenizerVocab: number;
}

/** The batch-order seed and the every-n-steps counts (0: never) are unsigned 32-bit integers. */
const UINT32 = { min: 0, max: 2 ** 32 - 1 };
const WEIGHT_GRAD_MODES = ["exact", "fast"] as const;

/**
 * Applies flags to a preset and refuses contradictions: --dense trains without any top-k (and without
 * the sharkfin factor, which only compensates for sparsity), so --pfrac and --sparse-biases contradict
 * it; --vocab-size sizes a tokenizer trained here, so it contradicts --tokenizer.
 */
export function resolveRunSettings(flags: TrainFlags): RunSettings {
  const preset = getPreset(flags.preset ?? "small");
  const train: TrainConfig = { ...preset.train, adam_betas: [...preset.train.adam_betas] };
  if (flags.dense && flags.pfrac !== undefined)
    throw new CspError("--dense and --pfrac contradict each other (dense training keeps every weight)");
  if (flags.dense && flags.sparseBiases)
    throw new CspError("--dense and --sparse-biases contradict each other");
  if (flags.vocabSize !== undefined && flags.tokenizer !== undefined) {
    throw new CspError(
      "--vocab-size and --tokenizer contradict each other (the tokenizer fixes the vocabulary)",
    );
  }
  train.total_steps = intFlag("--steps", flags.steps, train.total_steps);
  train.seed = intFlag("--seed", flags.seed, train.seed, {});
  train.data_seed = intFlag("--data-seed", flags.dataSeed, train.data_seed, UINT32);
  train.lr = numFlag("--lr", flags.lr, train.lr);
  train.global_bs = intFlag("--batch-size", flags.batchSize, train.global_bs);
  train.pfrac = numFlag("--pfrac", flags.pfrac, train.pfrac);
  if (flags.sparseBiases) train.sparse_biases = true;
  train.weight_grad_mode = choiceFlag("--mode", flags.mode, WEIGHT_GRAD_MODES, train.weight_grad_mode);
  if (flags.dense && flags.mode === "fast")
    throw new CspError("--dense and --mode fast contradict each other (fast mode is for sparse weights)");
  train.dense_grad_every = intFlag("--dense-grad-every", flags.denseGradEvery, train.dense_grad_every);
  train.eval_every = intFlag("--eval-every", flags.evalEvery, train.eval_every, UINT32);
  train.checkpoint_every = intFlag(
    "--checkpoint-every",
    flags.checkpointEvery,
    train.checkpoint_every,
    UINT32,
  );
  train.snapshot_every = intFlag("--snapshot-every", flags.snapshotEvery, train.snapshot_every, UINT32);
  if (flags.dense) {
    train.pfrac = null;
    train.pfrac_anneal = false;
    train.pfrac_anneal_schedule_lr_with_L0 = false;
  }
  validateTrainConfig(train, "csp train");
  const tokenizerVocab = intFlag("--vocab-size", flags.vocabSize, preset.tokenizerVocab);
  return { preset: preset.name, model: { ...preset.model }, train, tokenizerVocab };
}
