import { join } from "node:path";
import { DEFAULT_MODEL_DIR } from "../../model/default_model.js";
import type { Command } from "commander";
import { CspError } from "../../errors.js";
import { loadModelWithConfig } from "../../model/checkpoint.js";
import { intFlag } from "../../flag_values.js";
import { computeMeans, MEANS_FILE, saveMeans, spreadWindows } from "../../circuit/means.js";
import { meansTokens } from "../../circuit/means_source.js";
import { weightsHash } from "../../model/model_hash.js";
import { nodeLayout } from "../../circuit/nodes.js";
import { stderrProgress, type Progress } from "../../io/progress.js";
import { loadModelTokenizer } from "../../model/model_tokenizer.js";

export interface MeansFlags {
  model: string;
  corpus?: string[];
  shard?: string;
  tokens?: string;
  seqLen?: string;
  tokenizer?: string;
  quiet?: boolean;
}

/** The training context length recorded in config.json's "train" object, if any. */
function trainedContext(raw: Record<string, unknown>): number | undefined {
  const train = raw.train as Record<string, unknown> | undefined;
  return typeof train?.n_ctx === "number" ? train.n_ctx : undefined;
}

/** `csp means`: computes and saves the node means; returns the summary line. */
export function meansCommand(flags: MeansFlags): string {
  const started = Date.now();
  const { model, rawConfig } = loadModelWithConfig(flags.model);
  const length = intFlag(
    "--seq-len",
    flags.seqLen,
    Math.min(model.dims.blockSize, trainedContext(rawConfig) ?? model.dims.blockSize),
  );
  if (length > model.dims.blockSize)
    throw new CspError(`--seq-len ${length} exceeds the model's block_size ${model.dims.blockSize}`);
  const tokens = intFlag("--tokens", flags.tokens, 32768);
  const count = Math.ceil(tokens / length);
  const progress = stderrProgress({ quiet: flags.quiet });
  let prep: Progress | undefined;
  const source = meansTokens({
    shard: flags.shard,
    corpus: flags.corpus,
    tokenizer: () =>
      loadModelTokenizer(flags.model, { vocab: model.dims.vocab, tokenizerDir: flags.tokenizer }),
    vocab: model.dims.vocab,
    need: count * length,
    onPrepare: (p) => {
      prep ??= progress("tokenise corpus (bytes)", p.totalBytes);
      prep.update(p.doneBytes);
    },
  });
  prep?.stop();
  const windows = spreadWindows(source.stream, count, length, source.source);
  const layout = nodeLayout(model.dims);
  const bar = progress("means (windows)", count);
  const values = computeMeans(model, layout, windows, length, { onProgress: (d) => bar.update(d) });
  bar.stop();
  const path = join(flags.model, MEANS_FILE);
  saveMeans(path, {
    values,
    windows,
    count,
    length,
    meta: { source: source.source, modelHash: weightsHash(model) },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  return `wrote ${path}: means of ${layout.total} nodes over ${count} windows × ${length} tokens from ${source.source} (${seconds}s)`;
}

export function registerMeans(program: Command): void {
  program
    .command("means")
    .description("cache each node's mean activation over pretraining text in <model>/means.safetensors")
    .option("--model <dir>", "checkpoint directory", DEFAULT_MODEL_DIR)
    .option("--corpus <path...>", "Python files or directories (default: the Python standard library)")
    .option(
      "--shard <file>",
      "token shard (raw uint16) instead of a corpus, e.g. .csp-cache/corpus-*/val.bin",
    )
    .option("--tokens <n>", "tokens to average over", "32768")
    .option("--seq-len <n>", "window length (default: the training context, at most block_size)")
    .option("--tokenizer <dir>", "tokenizer directory for --corpus (default: found next to the model)")
    .option("--quiet", "no progress output")
    .action((flags: MeansFlags) => console.log(meansCommand(flags)));
}
