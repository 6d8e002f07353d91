import type { Command } from "commander";
import { intFlag, numFlag } from "../../flag_values.js";
import { DEFAULT_MODEL_DIR } from "../../model/default_model.js";
import { loadRunModel } from "../../train/model_dir.js";
import { sampleTokens } from "../../train/sample.js";

interface SampleFlags {
  model: string;
  prompt: string;
  tokenizer?: string;
  tokens?: string;
  temperature?: string;
  topK?: string;
  seed?: string;
}

/** `csp sample`: the prompt and its seeded continuation. */
export function sampleCommand(f: SampleFlags): string {
  const run = loadRunModel(f.model, f.tokenizer);
  const prompt = [run.tokenizer.eotId, ...run.tokenizer.encode(f.prompt)];
  const ids = sampleTokens(run.model, prompt, {
    maxNewTokens: intFlag("--tokens", f.tokens, 200, { min: 0 }),
    temperature: numFlag("--temperature", f.temperature, 0.8, { min: 0 }),
    topK: intFlag("--top-k", f.topK, 40, { min: 0 }),
    seed: intFlag("--seed", f.seed, 0, { min: 0 }),
    contextLength: Math.max(1, run.nCtx - 1),
    stopToken: run.tokenizer.eotId,
  });
  return f.prompt + run.tokenizer.decode(ids);
}

export function registerSample(program: Command): void {
  program
    .command("sample")
    .description("continue a prompt with a trained model (seeded sampling)")
    .option("--model <dir>", "model directory", DEFAULT_MODEL_DIR)
    .option("--prompt <text>", "text to continue (default: start of a new document)", "")
    .option("--tokenizer <dir>", "tokenizer directory (default: found next to the model)")
    .option("--tokens <n>", "tokens to generate", "200")
    .option("--temperature <x>", "softmax temperature (0 = greedy)", "0.8")
    .option("--top-k <n>", "sample among the k most likely tokens (0 = all)", "40")
    .option("--seed <n>", "sampling seed", "0")
    .action((f: SampleFlags) => void process.stdout.write(sampleCommand(f) + "\n"));
}
