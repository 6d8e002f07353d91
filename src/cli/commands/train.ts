import type { Command } from "commander";
import { DEFAULT_VAL_FRACTION } from "../../data/split.js";
import { numFlag } from "../../flag_values.js";
import { PRESET_NAMES } from "../../train/presets.js";
import { stderrReporter } from "../../train/progress_report.js";
import type { TrainFlags } from "../../train/run_settings.js";
import { runTrainRequest, type TrainRequest } from "../../train/train_run.js";
import { VAL_FRACTION_RANGE } from "../val_fraction.js";

/** Commander's options: the recipe flags plus where data comes from and goes to. */
export interface TrainOptions extends TrainFlags {
  corpus?: string[];
  preset: string;
  valFraction?: string;
  cache?: string;
  /** false: plain log lines instead of a bar (--no-progress). */
  progress?: boolean;
  out: string;
}

/** `csp train`: trains (or resumes) a run; returns the one-line JSON summary. */
export function trainCommand(opts: TrainOptions): string {
  const request: TrainRequest = {
    ...opts,
    valFraction: numFlag("--val-fraction", opts.valFraction, DEFAULT_VAL_FRACTION, VAL_FRACTION_RANGE),
    reporter: stderrReporter({ bar: opts.progress === false ? false : undefined }),
    log: (line: string) => process.stderr.write(line + "\n"),
  };
  const outcome = runTrainRequest(request);
  const last = outcome.metrics.at(-1);
  return JSON.stringify({
    out: opts.out,
    steps: last ? last.step + 1 : 0,
    resumed_from: outcome.startStep,
    train_loss: last?.loss,
    val_loss: outcome.finalValLoss,
    nonzero: last?.nonzero,
    prunable: last?.prunable,
    tokens: last?.tokens,
    elapsed_s: last ? Math.round(last.elapsed_s) : 0,
  });
}

export function registerTrain(program: Command): void {
  program
    .command("train")
    .description(
      "train a weight-sparse transformer on Python code with the paper's recipe; re-running the same command on the same --out resumes it",
    )
    .option(
      "--corpus <paths...>",
      "Python files or directories (default: the Python standard library without its tests and data tables)",
    )
    .option(
      "--tokenizer <dir>",
      "data-gym tokenizer (vocab.bpe + encoder.json); default: train a BPE on the corpus",
    )
    .option("--preset <name>", `model size and recipe: ${PRESET_NAMES.join(" | ")}`, "small")
    .option("--steps <n>", "S: the schedule length; the loop runs steps 0..S (S + 1 optimizer steps)")
    .option("--dense", "dense baseline: same engine and recipe, no top-k projection, no sharkfin factor")
    .option("--seed <n>", "seed of the weight initialisation")
    .option("--data-seed <n>", "seed of the batch order")
    .option("--lr <x>", "peak learning rate")
    .option("--batch-size <n>", "sequences per step")
    .option("--pfrac <x>", "parameter budget: weight matrices keep pfrac/(ef·efm), embeddings pfrac/ef")
    .option(
      "--sparse-biases",
      "also prune biases (the paper); default keeps them dense (the official train.py)",
    )
    .option(
      "--mode <m>",
      "weight gradient: exact (dense every step, as the reference; the default) | fast (at the nonzeros, dense every --dense-grad-every steps)",
    )
    .option("--dense-grad-every <n>", "fast mode: a dense weight gradient every n steps, so zeros can regrow")
    .option("--vocab-size <n>", "vocabulary of the BPE trained on the corpus")
    .option("--eval-every <n>", "validation loss every n steps and at the last step (0 = never)")
    .option("--checkpoint-every <n>", "resumable checkpoint every n steps (0 = only at the end)")
    .option("--val-fraction <x>", "share of corpus files held out for validation", "0.02")
    .option("--cache <dir>", "where tokenised corpora are cached", ".csp-cache")
    .option("--no-progress", "no progress bar (plain log lines instead)")
    .requiredOption("--out <dir>", "run directory: the checkpoint, metrics.jsonl and training_curve.svg")
    .action((opts: TrainOptions) => console.log(trainCommand(opts)));
}
