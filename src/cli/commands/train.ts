import type { Command } from "commander";
import { DEFAULT_VAL_FRACTION } from "../../data/split.js";
import { CspError } from "../../errors.js";
import { choiceFlag, intFlag, numFlag } from "../../flag_values.js";
import { PRESET_NAMES } from "../../train/presets.js";
import { stderrReporter } from "../../train/progress_report.js";
import type { TrainFlags } from "../../train/run_settings.js";
import { runTrainRequest, type TrainRequest } from "../../train/train_run.js";
import { VAL_FRACTION_RANGE } from "../val_fraction.js";
import { bridgedExtension, type BridgeFlags } from "../../train/bridges/bridge_flags.js";
import { lastBridgeTerms } from "../../train/bridges/bridge_summary.js";
import {
  TORCH_DEVICES,
  prepareTorchRun,
  runTorchTrainRequest,
  torchCommandLine,
} from "../../train/torch_engine.js";

/** Commander's options: the recipe flags plus where data comes from and goes to. */
export interface TrainOptions extends TrainFlags, BridgeFlags {
  corpus?: string[];
  preset: string;
  valFraction?: string;
  cache?: string;
  /** false: plain log lines instead of a bar (--no-progress). */
  progress?: boolean;
  out: string;
  /** ts (this process) | torch (python/csp_torch under torchrun; docs/scale-out.md). */
  engine?: string;
  nproc?: string;
  device?: string;
  prepareOnly?: boolean;
}

/** --engine torch: the run prepared here, trained by PyTorch (or only prepared, for a cluster). */
function torchRun(opts: TrainOptions, request: TrainRequest): string | ReturnType<typeof runTrainRequest> {
  const torch = {
    ...request,
    nproc: intFlag("--nproc", opts.nproc, 1),
    device: choiceFlag("--device", opts.device, TORCH_DEVICES, "auto"),
  };
  if (!opts.prepareOnly) return runTorchTrainRequest(torch);
  const run = prepareTorchRun(torch);
  return JSON.stringify({
    out: opts.out,
    next_step: run.nextStep,
    command: torchCommandLine(run, torch.nproc),
  });
}

/** `csp train`: trains (or resumes) a run; returns the one-line JSON summary. */
export function trainCommand(opts: TrainOptions): string {
  const request: TrainRequest = {
    ...opts,
    valFraction: numFlag("--val-fraction", opts.valFraction, DEFAULT_VAL_FRACTION, VAL_FRACTION_RANGE),
    reporter: stderrReporter({ bar: opts.progress === false ? false : undefined }),
    log: (line: string) => process.stderr.write(line + "\n"),
    extension: bridgedExtension(opts),
  };
  const engine = choiceFlag("--engine", opts.engine, ["ts", "torch"] as const, "ts");
  if (engine === "ts" && (opts.nproc !== undefined || opts.device !== undefined || opts.prepareOnly))
    throw new CspError("--nproc, --device and --prepare-only need --engine torch");
  const outcome = engine === "torch" ? torchRun(opts, request) : runTrainRequest(request);
  if (typeof outcome === "string") return outcome;
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
    ...(opts.bridges !== undefined ? { bridge_terms: lastBridgeTerms(opts.out) } : {}),
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
    .option(
      "--snapshot-every <n>",
      "keep the weights every n steps and at the end in <out>/snapshots/ (for csp trajectory; 0 = none)",
    )
    .option("--val-fraction <x>", "share of corpus files held out for validation", "0.02")
    .option("--cache <dir>", "where tokenised corpora are cached", ".csp-cache")
    .option("--no-progress", "no progress bar (plain log lines instead)")
    .option(
      "--engine <name>",
      "ts (this process, the default) | torch (PyTorch under torchrun; docs/scale-out.md)",
    )
    .option(
      "--nproc <n>",
      "--engine torch: processes on this machine (each takes an equal share of the batch)",
    )
    .option("--device <d>", "--engine torch: auto (CUDA when present) | cpu | cuda")
    .option("--prepare-only", "--engine torch: set up the run and print the torchrun command, train nothing")
    .option(
      "--bridges <dense_dir>",
      "train bridges to this dense model too (paper §2.3; docs/bridges.md): bridges.safetensors",
    )
    .option(
      "--train-dense",
      "with --bridges: train the dense model as well (default: frozen); exported to <out>/dense",
    )
    .option("--bridge-nmse-weight <x>", "with --bridges: weight of each NMSE term (default 1)")
    .option("--bridge-kl-weight <x>", "with --bridges: weight of each hybrid-run KL term (default 1)")
    .option(
      "--bridge-kl-sites <n>",
      "with --bridges: sublayers whose hybrid runs are taken per step, sampled (default 1)",
    )
    .option(
      "--bridge-encoder-afrac <x>",
      "with --bridges: kept fraction of the encoder's AbsTopK (default 0.25; 1 = none)",
    )
    .requiredOption("--out <dir>", "run directory: the checkpoint, metrics.jsonl and training_curve.svg")
    .action((opts: TrainOptions) => console.log(trainCommand(opts)));
}
