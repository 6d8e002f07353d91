import type { Command } from "commander";
import { join } from "node:path";
import { readCorpusDocuments } from "../../data/corpus_documents.js";
import { createProgress } from "../../io/progress.js";
import { intFlag, numFlag } from "../../flag_values.js";
import { resolveCorpus } from "../../data/default_corpus.js";
import { DEFAULT_VAL_FRACTION } from "../../data/split.js";
import { VAL_FRACTION_RANGE } from "../val_fraction.js";
import { ChunkCounter } from "../../tokenizer/chunk_counts.js";
import { measureCompression } from "../../tokenizer/compression.js";
import { bytesToDataGym } from "../../tokenizer/byte_alphabet.js";
import { checkVocabSize, DEFAULT_VOCAB_SIZE, trainBpe } from "../../tokenizer/train_bpe.js";
import {
  ENCODER_JSON_FILE,
  loadTokenizer,
  saveTokenizer,
  VOCAB_BPE_FILE,
} from "../../tokenizer/tokenizer_files.js";

/** Options of `csp tokenizer train`. */
export interface TokenizerTrainOptions {
  /** Files/directories of Python code; default: the Python standard library. */
  corpus?: string[];
  vocabSize?: number;
  valFraction?: number;
  out: string;
  /** Show progress on stderr (default true). */
  progress?: boolean;
}

/**
 * Trains a tokenizer on the training side of the corpus (validation files are held out, so validation
 * loss is measured on text the tokenizer never saw) and saves it; returns the summary line.
 */
export function runTokenizerTrain(options: TokenizerTrainOptions): string {
  const started = performance.now();
  const vocabSize = options.vocabSize ?? DEFAULT_VOCAB_SIZE;
  checkVocabSize(vocabSize);
  const corpusPaths = resolveCorpus(options.corpus).paths;
  const corpus = readCorpusDocuments(corpusPaths, options.valFraction ?? DEFAULT_VAL_FRACTION);
  const showProgress = options.progress ?? true;
  const counter = new ChunkCounter();
  const counting = showProgress ? createProgress("counting chunks", corpus.train.length) : undefined;
  corpus.train.forEach((doc, i) => {
    counter.add(doc.text);
    counting?.update(i + 1);
  });
  counting?.stop();
  const merging = showProgress ? createProgress("merging", vocabSize - 257) : undefined;
  const tokenizer = trainBpe(counter.counts, { vocabSize, onProgress: (p) => merging?.update(p.merges) });
  merging?.stop();
  saveTokenizer(options.out, tokenizer);
  const { bytes, bytesPerToken } = measureCompression(tokenizer, counter.counts);
  const seconds = (performance.now() - started) / 1000;
  const skipped = corpus.skippedNotUtf8.length + corpus.skippedEmpty.length;
  return (
    `trained ${tokenizer.vocabSize}-token tokenizer on ${corpus.train.length} files ` +
    `(${(bytes / 1e6).toFixed(1)} MB; ${corpus.val.length} held out for validation, ${skipped} skipped) ` +
    `in ${seconds.toFixed(1)} s: ${bytesPerToken.toFixed(3)} bytes/token; wrote ` +
    `${join(options.out, VOCAB_BPE_FILE)}, ${join(options.out, ENCODER_JSON_FILE)}`
  );
}

/** Options of `csp tokenizer encode`. */
export interface TokenizerEncodeOptions {
  tokenizer: string;
  text: string;
  allowSpecial?: boolean;
  /** One line per token with its data-gym spelling, instead of the ids on one line. */
  pieces?: boolean;
}

/** Encodes text; returns the ids separated by spaces, or one "id<TAB>spelling" line per token. */
export function runTokenizerEncode(options: TokenizerEncodeOptions): string {
  const tokenizer = loadTokenizer(options.tokenizer);
  const ids = tokenizer.encode(options.text, { allowSpecial: options.allowSpecial ?? false });
  if (!options.pieces) return ids.join(" ");
  return ids
    .map(
      (id) => `${id}\t${id === tokenizer.eotId ? "<|endoftext|>" : bytesToDataGym(tokenizer.tokenBytes(id))}`,
    )
    .join("\n");
}

/** `csp tokenizer train|encode`. */
export function registerTokenizer(program: Command): void {
  const tokenizer = program.command("tokenizer").description("train and inspect byte-level BPE tokenizers");
  tokenizer
    .command("train")
    .description("train a BPE tokenizer (tinypython regex, data-gym files) on Python code")
    .option("--corpus <paths...>", "Python files or directories (default: the Python standard library)")
    .option("--vocab-size <n>", `total ids incl. <|endoftext|> (default ${DEFAULT_VOCAB_SIZE})`)
    .option("--val-fraction <x>", `share of files held out, by path hash (default ${DEFAULT_VAL_FRACTION})`)
    .requiredOption("--out <dir>", "directory to write vocab.bpe and encoder.json to")
    .action((opts: { corpus?: string[]; vocabSize?: string; valFraction?: string; out: string }) => {
      const summary = runTokenizerTrain({
        corpus: opts.corpus,
        vocabSize: intFlag("--vocab-size", opts.vocabSize, undefined),
        valFraction: numFlag("--val-fraction", opts.valFraction, undefined, VAL_FRACTION_RANGE),
        out: opts.out,
      });
      console.log(summary);
    });
  tokenizer
    .command("encode")
    .description("print the token ids of a text")
    .requiredOption("--tokenizer <dir>", "directory with vocab.bpe and encoder.json")
    .requiredOption("--text <text>", "text to encode")
    .option("--allow-special", "treat <|endoftext|> in the text as the special token")
    .option("--pieces", "print one token per line with its data-gym spelling")
    .action((opts: { tokenizer: string; text: string; allowSpecial?: boolean; pieces?: boolean }) => {
      console.log(runTokenizerEncode(opts));
    });
}
