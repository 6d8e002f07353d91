import type { Command } from "commander";
import { DEFAULT_MODEL_DIR } from "../../model/default_model.js";
import { runCommand } from "../run_model.js";

export function registerRun(program: Command): void {
  program
    .command("run")
    .description("run a model on token ids from a safetensors file; write logits, loss, hooks and gradients")
    .option("--model <dir>", "checkpoint directory (config.json + model.safetensors)", DEFAULT_MODEL_DIR)
    .requiredOption("--input <file>", "safetensors with input_ids [B, T] (and optional targets [B, T])")
    .option("--hooks <regex>", "record hook points whose names match (anchored at the start)")
    .option("--ablate <file>", "JSON {hook: {channels: [...], values: [...]}}: replace channels at hooks")
    .option("--grads", "also write d loss / d parameter as grad/<name> (needs targets)")
    .requiredOption("--out <file>", "output safetensors")
    .action(
      (opts: {
        model: string;
        input: string;
        hooks?: string;
        ablate?: string;
        grads?: boolean;
        out: string;
      }) => {
        const summary = runCommand(opts);
        console.log(summary);
      },
    );
}
