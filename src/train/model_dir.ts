import { collectPythonFiles } from "../data/corpus_files.js";
import { readDocument } from "../data/read_document.js";
import { validationBatches } from "../data/validation_batches.js";
import { CspError } from "../errors.js";
import { loadModelWithConfig } from "../model/checkpoint.js";
import { loadModelTokenizer } from "../model/model_tokenizer.js";
import type { Model } from "../model/model.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";
import { windowLoss } from "./window_loss.js";

/** A trained model with the tokenizer it was trained with and its training context length. */
export interface RunModel {
  model: Model;
  tokenizer: Tokenizer;
  /** The training window length (train.n_ctx), or block_size for models trained elsewhere. */
  nCtx: number;
}

/**
 * Loads a model directory and its tokenizer (`--tokenizer DIR` if given, else the one beside the model:
 * model/model_tokenizer.ts, the look-up every command uses).
 */
export function loadRunModel(modelDir: string, tokenizerDir?: string): RunModel {
  const { model, rawConfig } = loadModelWithConfig(modelDir);
  const tokenizer = loadModelTokenizer(modelDir, { vocab: model.config.vocab_size, tokenizerDir });
  const train = rawConfig.train as { n_ctx?: unknown } | undefined;
  const nCtx =
    typeof train?.n_ctx === "number"
      ? Math.min(train.n_ctx, model.config.block_size)
      : model.config.block_size;
  return { model, tokenizer, nCtx };
}

export interface CorpusLoss {
  /** Mean next-token loss, nats per token. */
  loss: number;
  /** Predicted tokens that the mean is over. */
  predictions: number;
  windows: number;
  /** Tokens in the corpus (each document preceded by <|endoftext|>, as in training). */
  corpusTokens: number;
  files: number;
}

/**
 * Loss of a model on every .py file of a corpus, tokenised as the training shards are (each document
 * after an <|endoftext|>), cut into training-length windows; `maxWindows` spreads a subset evenly.
 */
export function corpusLoss(
  run: RunModel,
  corpus: readonly string[],
  opts: { batchSize?: number; maxWindows?: number } = {},
): CorpusLoss {
  const chunks: number[][] = [];
  let files = 0;
  for (const file of collectPythonFiles(corpus)) {
    const doc = readDocument(file);
    if (!("text" in doc)) continue;
    files++;
    chunks.push([run.tokenizer.eotId, ...run.tokenizer.encode(doc.text)]);
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  if (total < run.nCtx) {
    throw new CspError(
      `${corpus.join(", ")}: ${total} tokens, fewer than one ${run.nCtx}-token window of the model`,
    );
  }
  const tokens = new Uint16Array(total);
  let at = 0;
  for (const c of chunks) {
    tokens.set(c, at);
    at += c.length;
  }
  let sum = 0;
  let predictions = 0;
  let windows = 0;
  for (const batch of validationBatches(tokens, {
    batchSize: opts.batchSize ?? 8,
    seqLen: run.nCtx - 1,
    maxWindows: opts.maxWindows,
  })) {
    const r = windowLoss(run.model, batch.tokens, batch.width, { batchSize: batch.rows });
    sum += r.loss * r.predictions;
    predictions += r.predictions;
    windows += r.windows;
  }
  return { loss: sum / predictions, predictions, windows, corpusTokens: total, files };
}
