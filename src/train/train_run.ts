import { loadPreparedShards, prepareCorpus } from "../data/prepare_corpus.js";
import { DEFAULT_VAL_FRACTION } from "../data/split.js";
import { CspError } from "../errors.js";
import { formatDataGym } from "../tokenizer/data_gym.js";
import { loadTokenizer } from "../tokenizer/tokenizer_files.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";
import { trainCorpusTokenizer } from "./corpus_tokenizer.js";
import { resolveCorpus } from "../data/default_corpus.js";
import type { TrainReporter } from "./progress_report.js";
import { resolveRunSettings, type TrainFlags } from "./run_settings.js";
import {
  resumableRunTokenizer,
  trainModel,
  type TrainExtension,
  type TrainerOptions,
  type TrainOutcome,
} from "./trainer.js";
import type { GPTConfig } from "../model/config.js";
import type { TrainConfig } from "./train_config.js";

/** Everything `csp train` needs: the flags plus where data comes from and goes to. */
export interface TrainRequest extends TrainFlags {
  /** Corpus files/directories of Python code; default: the standard library without tests and data tables. */
  corpus?: string[];
  out: string;
  /** Root of the tokenised-corpus cache. */
  cache?: string;
  valFraction?: number;
  reporter?: TrainReporter;
  /** One-line notes (tokenizer training, corpus preparation). */
  log?: (line: string) => void;
  /** For tests: return after this many steps as if the process had died. */
  stopAfterSteps?: number;
  /** Builds a run extension (bridges: train/bridges/bridged_run.ts) once the model and tokenizer are known. */
  extension?: (ctx: { model: GPTConfig; train: TrainConfig; tokenizer: Tokenizer }) => TrainExtension;
}

function sameTokenizer(a: Tokenizer, b: Tokenizer): boolean {
  const fa = formatDataGym(a);
  const fb = formatDataGym(b);
  return fa.vocabBpe === fb.vocabBpe && fa.encoderJson === fb.encoderJson;
}

/**
 * Chooses the tokenizer: a resumed run keeps the one saved in its directory (a different --tokenizer is
 * an error); otherwise --tokenizer, otherwise a BPE trained on the corpus's training files.
 */
export function chooseTokenizer(
  req: TrainRequest,
  corpus: string[],
  vocab: number,
  log: (l: string) => void,
): Tokenizer {
  const saved = resumableRunTokenizer(req.out);
  if (req.tokenizer !== undefined) {
    const given = loadTokenizer(req.tokenizer);
    if (saved && !sameTokenizer(saved, given)) {
      throw new CspError(
        `${req.tokenizer}: tokenizer differs from the one of the run in ${req.out}/tokenizer; resume without --tokenizer or choose a new --out`,
      );
    }
    return given;
  }
  if (saved) return saved;
  log(`training a ${vocab}-token BPE tokenizer on the corpus's training files`);
  return trainCorpusTokenizer(corpus, { vocabSize: vocab, valFraction: req.valFraction });
}

/** A request made ready to train: the trainer's options and where its token shards lie. */
export interface PreparedTrainRequest {
  options: TrainerOptions;
  /** The prepared corpus directory (train.bin, val.bin, manifest.json); the torch engine reads it. */
  dataDir: string;
}

/**
 * Everything before training, shared by both engines (`csp train` and `--engine torch`): settings from
 * preset + flags, the corpus, the tokenizer, the cached token shards (each split must hold a window),
 * the model config, and what config.json records about the run.
 */
export function trainerOptionsFor(req: TrainRequest): PreparedTrainRequest {
  const log = req.log ?? (() => {});
  const settings = resolveRunSettings(req);
  const resolved = resolveCorpus(req.corpus, req.cache);
  const corpus = resolved.paths;
  const corpusName = resolved.description;
  const tokenizer = chooseTokenizer(req, corpus, settings.tokenizerVocab, log);
  const valFraction = req.valFraction ?? DEFAULT_VAL_FRACTION;
  const prepared = prepareCorpus({ corpus, tokenizer, cacheDir: req.cache, valFraction });
  if (!prepared.cached)
    log(
      `tokenised ${prepared.manifest.trainTokens} training and ${prepared.manifest.valTokens} validation tokens into ${prepared.dir}`,
    );
  const { train, val } = loadPreparedShards(prepared);
  const nCtx = settings.train.n_ctx;
  if (train.length < nCtx + 1)
    throw new CspError(
      `${corpusName}: only ${train.length} training tokens, fewer than one window of ${nCtx}`,
    );
  if (val.length < nCtx + 1) {
    throw new CspError(
      `${corpusName}: only ${val.length} validation tokens, fewer than one window of ${nCtx}; add files or raise the validation fraction`,
    );
  }
  const model = {
    ...settings.model,
    vocab_size: tokenizer.vocabSize,
    block_size: Math.max(settings.model.block_size, nCtx),
  };
  const options: TrainerOptions = {
    outDir: req.out,
    model,
    train: settings.train,
    tokenizer,
    data: { train, val, identity: { corpus_key: prepared.manifest.key, val_fraction: valFraction } },
    runInfo: {
      preset: settings.preset,
      // Keywords and the default corpus are recorded by description, plain paths as given.
      corpus: req.corpus?.length && !req.corpus.some((p) => p.startsWith("@")) ? corpus : corpusName,
      train_tokens: prepared.manifest.trainTokens,
      val_tokens: prepared.manifest.valTokens,
      tokenizer: req.tokenizer ?? "trained on the corpus",
    },
    reporter: req.reporter,
    stopAfterSteps: req.stopAfterSteps,
    extension: req.extension?.({ model, train: settings.train, tokenizer }),
  };
  return { options, dataDir: prepared.dir };
}

/** `csp train`: the shared setup ({@link trainerOptionsFor}), then the (resumable) trainer of this process. */
export function runTrainRequest(req: TrainRequest): TrainOutcome {
  return trainModel(trainerOptionsFor(req).options);
}
