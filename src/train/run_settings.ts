import { CspError } from "../errors.js";
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
}

/** A run's model and recipe before the tokenizer fixes vocab_size. */
export interface RunSettings {
  preset: string;
  model: GPTConfig;
  train: TrainConfig;
  /** Vocabulary of a BPE trained on the corpus (used only without --tokenizer). */
  tokenizerVocab: number;
}

function parseNumber(flag: string, raw: string, kind: "int" | "posint" | "num" | "uint32"): number {
  const value = Number(raw);
  const ok =
    raw.trim() !== "" &&
    Number.isFinite(value) &&
    (kind === "num" ||
      (Number.isInteger(value) &&
        (kind === "int"
          ? Number.isSafeInteger(value)
          : kind === "posint"
            ? value > 0
            : value >= 0 && value < 2 ** 32)));
  if (!ok) {
    const what = {
      int: "an integer",
      posint: "a positive integer",
      num: "a number",
      uint32: "an integer in 0..2^32-1",
    }[kind];
    throw new CspError(`${flag}: expected ${what}, got "${raw}"`);
  }
  return value;
}

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
  if (flags.steps !== undefined) train.total_steps = parseNumber("--steps", flags.steps, "posint");
  if (flags.seed !== undefined) train.seed = parseNumber("--seed", flags.seed, "int");
  if (flags.dataSeed !== undefined) train.data_seed = parseNumber("--data-seed", flags.dataSeed, "uint32");
  if (flags.lr !== undefined) train.lr = parseNumber("--lr", flags.lr, "num");
  if (flags.batchSize !== undefined) train.global_bs = parseNumber("--batch-size", flags.batchSize, "posint");
  if (flags.pfrac !== undefined) train.pfrac = parseNumber("--pfrac", flags.pfrac, "num");
  if (flags.sparseBiases) train.sparse_biases = true;
  if (flags.mode !== undefined) {
    if (flags.mode !== "exact" && flags.mode !== "fast")
      throw new CspError(`--mode: expected exact or fast, got "${flags.mode}"`);
    if (flags.dense && flags.mode === "fast")
      throw new CspError("--dense and --mode fast contradict each other (fast mode is for sparse weights)");
    train.weight_grad_mode = flags.mode;
  }
  if (flags.denseGradEvery !== undefined)
    train.dense_grad_every = parseNumber("--dense-grad-every", flags.denseGradEvery, "posint");
  if (flags.evalEvery !== undefined)
    train.eval_every = parseNumber("--eval-every", flags.evalEvery, "uint32");
  if (flags.checkpointEvery !== undefined)
    train.checkpoint_every = parseNumber("--checkpoint-every", flags.checkpointEvery, "uint32");
  if (flags.dense) {
    train.pfrac = null;
    train.pfrac_anneal = false;
    train.pfrac_anneal_schedule_lr_with_L0 = false;
  }
  validateTrainConfig(train, "csp train");
  const tokenizerVocab =
    flags.vocabSize !== undefined
      ? parseNumber("--vocab-size", flags.vocabSize, "posint")
      : preset.tokenizerVocab;
  return { preset: preset.name, model: { ...preset.model }, train, tokenizerVocab };
}
