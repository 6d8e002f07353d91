import type { Command } from "commander";
import { DEFAULT_MODEL_DIR } from "../../model/default_model.js";
import { CspError } from "../../errors.js";
import { evaluateCorpus, loadRunModel } from "../../train/model_dir.js";
import { sampleTokens } from "../../train/sample.js";

function parseIntFlag(flag: string, raw: string, min: number): number {
  const v = Number(raw);
  if (raw.trim() === "" || !Number.isSafeInteger(v) || v < min)
    throw new CspError(`${flag}: expected an integer >= ${min}, got "${raw}"`);
  return v;
}

function parseNumFlag(flag: string, raw: string): number {
  const v = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(v) || v < 0)
    throw new CspError(`${flag}: expected a number >= 0, got "${raw}"`);
  return v;
}

export function registerEval(program: Command): void {
  program
    .command("eval")
    .description("validation loss of a trained model on a corpus of Python files")
    .option(
      "--model <dir>",
      "model directory (config.json + model.safetensors [+ tokenizer/])",
      DEFAULT_MODEL_DIR,
    )
    .requiredOption("--corpus <paths...>", "Python files or directories to evaluate on")
    .option("--tokenizer <dir>", "tokenizer, if the model directory has none")
    .option("--max-windows <n>", "evaluate at most n training-length windows, spread over the corpus")
    .option("--batch-size <n>", "windows per forward pass", "8")
    .option("--json", "print one JSON object")
    .action(
      (opts: {
        model: string;
        corpus: string[];
        tokenizer?: string;
        maxWindows?: string;
        batchSize: string;
        json?: boolean;
      }) => {
        const run = loadRunModel(opts.model, opts.tokenizer);
        const r = evaluateCorpus(run, opts.corpus, {
          batchSize: parseIntFlag("--batch-size", opts.batchSize, 1),
          maxWindows:
            opts.maxWindows === undefined ? undefined : parseIntFlag("--max-windows", opts.maxWindows, 1),
        });
        const result = {
          model: opts.model,
          loss: r.loss,
          predicted_tokens: r.predictions,
          windows: r.windows,
          corpus_tokens: r.corpusTokens,
          files: r.files,
        };
        if (opts.json) console.log(JSON.stringify(result));
        else {
          console.log(
            `loss ${r.loss.toFixed(4)} nats/token (${(r.loss / Math.LN2).toFixed(3)} bits) over ${r.predictions} predicted tokens`,
          );
          console.log(
            `${r.windows} windows of ${run.nCtx} tokens from ${r.files} files (${r.corpusTokens} tokens)`,
          );
        }
      },
    );
}

export function registerSample(program: Command): void {
  program
    .command("sample")
    .description("continue a prompt with a trained model (seeded sampling)")
    .option("--model <dir>", "model directory", DEFAULT_MODEL_DIR)
    .option("--prompt <text>", "text to continue (default: start of a new document)", "")
    .option("--tokenizer <dir>", "tokenizer, if the model directory has none")
    .option("--tokens <n>", "tokens to generate", "200")
    .option("--temperature <x>", "softmax temperature (0 = greedy)", "0.8")
    .option("--top-k <n>", "sample among the k most likely tokens (0 = all)", "40")
    .option("--seed <n>", "sampling seed", "0")
    .action(
      (opts: {
        model: string;
        prompt: string;
        tokenizer?: string;
        tokens: string;
        temperature: string;
        topK: string;
        seed: string;
      }) => {
        const run = loadRunModel(opts.model, opts.tokenizer);
        const prompt = [run.tokenizer.eotId, ...run.tokenizer.encode(opts.prompt)];
        const ids = sampleTokens(run.model, prompt, {
          maxNewTokens: parseIntFlag("--tokens", opts.tokens, 0),
          temperature: parseNumFlag("--temperature", opts.temperature),
          topK: parseIntFlag("--top-k", opts.topK, 0),
          seed: parseIntFlag("--seed", opts.seed, 0),
          contextLength: Math.max(1, run.nCtx - 1),
          stopToken: run.tokenizer.eotId,
        });
        process.stdout.write(opts.prompt + run.tokenizer.decode(ids) + "\n");
      },
    );
}
