import type { Command } from "commander";
import { intFlag } from "../../flag_values.js";
import { DEFAULT_MODEL_DIR } from "../../model/default_model.js";
import { corpusLoss, loadRunModel } from "../../train/model_dir.js";

interface LossFlags {
  model: string;
  corpus: string[];
  tokenizer?: string;
  maxWindows?: string;
  batchSize?: string;
  json?: boolean;
}

/** `csp loss` (alias `eval`): a model's next-token loss on a corpus; returns what it prints. */
export function lossCommand(f: LossFlags): string {
  const run = loadRunModel(f.model, f.tokenizer);
  const r = corpusLoss(run, f.corpus, {
    batchSize: intFlag("--batch-size", f.batchSize, 8),
    maxWindows: intFlag("--max-windows", f.maxWindows, undefined),
  });
  if (f.json)
    return JSON.stringify({
      model: f.model,
      loss: r.loss,
      predicted_tokens: r.predictions,
      windows: r.windows,
      corpus_tokens: r.corpusTokens,
      files: r.files,
    });
  return (
    `loss ${r.loss.toFixed(4)} nats/token (${(r.loss / Math.LN2).toFixed(3)} bits) over ${r.predictions} predicted tokens\n` +
    `${r.windows} windows of ${run.nCtx} tokens from ${r.files} files (${r.corpusTokens} tokens)`
  );
}

export function registerLoss(program: Command): void {
  program
    .command("loss")
    .alias("eval")
    .description("next-token loss of a trained model on a corpus of Python files (validation loss)")
    .option(
      "--model <dir>",
      "model directory (config.json + model.safetensors [+ tokenizer/])",
      DEFAULT_MODEL_DIR,
    )
    .requiredOption("--corpus <paths...>", "Python files or directories to measure the loss on")
    .option("--tokenizer <dir>", "tokenizer directory (default: found next to the model)")
    .option("--max-windows <n>", "at most n training-length windows, spread over the corpus")
    .option("--batch-size <n>", "windows per forward pass", "8")
    .option("--json", "print one JSON object")
    .action((f: LossFlags) => console.log(lossCommand(f)));
}
