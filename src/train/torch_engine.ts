import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BatchLoader } from "../data/batch_loader.js";
import { CspError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic.js";
import { MODEL_TOKENIZER_DIR } from "../model/model_tokenizer.js";
import { saveTokenizer } from "../tokenizer/tokenizer_files.js";
import { TRAIN_STATE_FILE, readTrainState, saveTrainState } from "./checkpoint_state.js";
import { initModel } from "./init.js";
import { METRICS_FILE, readMetrics } from "./metrics.js";
import { trainingCurveSvg } from "./plot_svg.js";
import { resolveRunSettings } from "./run_settings.js";
import { checkMinAliveFits } from "./sparsity_plan.js";
import { createLearner, projectToBudget } from "./step.js";
import { trainerOptionsFor, type TrainRequest } from "./train_run.js";
import {
  CURVE_FILE,
  inspectOutDir,
  runIdentity,
  writeConfig,
  type TrainOutcome,
  type TrainerOptions,
} from "./trainer.js";

/**
 * `csp train --engine torch`: the same run directory, trained by the PyTorch trainer of python/csp_torch
 * (torch.distributed, DistributedDataParallel) instead of this process. This side prepares the run
 * exactly as `csp train` would (settings, tokenizer, token shards, config.json, the seeded initial
 * weights as a step-0 train_state.safetensors) and launches `python -m torch.distributed.run`; the
 * Python side reads and writes our checkpoint format, so either engine resumes the other's run.
 * docs/scale-out.md.
 */

export const TORCH_DEVICES = ["auto", "cpu", "cuda"] as const;
export type TorchDevice = (typeof TORCH_DEVICES)[number];

export interface TorchTrainRequest extends TrainRequest {
  /** Processes on this machine (torchrun --nproc_per_node); must divide the global batch. */
  nproc?: number;
  /** The Python with torch; default $CSP_PYTHON, else `python3`. */
  python?: string;
  device?: TorchDevice;
  /** Captures the trainer's output (tests) instead of passing it through. */
  quiet?: boolean;
}

/** What {@link prepareTorchRun} leaves: the run directory and the prepared corpus it trains on. */
export interface PreparedTorchRun {
  outDir: string;
  /** The prepared corpus directory (train.bin, val.bin, manifest.json). */
  dataDir: string;
  /** The step the run will continue from (0 for a fresh run). */
  nextStep: number;
  totalSteps: number;
  globalBatch: number;
}

/** Pythons tried in order when none is named: the one on PATH (a venv's), then Debian's python3-torch. */
const PYTHON_CANDIDATES = ["python3", "/usr/bin/python3"];
let foundPython: string | undefined;

/**
 * The interpreter: the given one, else $CSP_PYTHON, else the first of PYTHON_CANDIDATES that imports
 * torch (a pyenv `python3` on PATH often lacks it while Debian's has it), else `python3` so the error
 * names it.
 */
export function torchPython(explicit?: string): string {
  const named = explicit ?? process.env.CSP_PYTHON;
  if (named) return named;
  foundPython ??=
    PYTHON_CANDIDATES.find(
      (python) =>
        spawnSync(python, ["-c", "import torch"], { stdio: "ignore", timeout: 60_000 }).status === 0,
    ) ?? "python3";
  return foundPython;
}

/** The folder holding the csp_torch package (python/ at the package root, from src/ or dist/src/). */
export function pythonPackageDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "python");
    if (existsSync(join(candidate, "csp_torch", "__init__.py"))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new CspError("python/csp_torch: not found beside the installed package");
    dir = parent;
  }
}

/** Arguments after the interpreter: torchrun (as a module of the same Python) running csp_torch.train. */
export function torchrunArgs(
  run: PreparedTorchRun,
  opts: { nproc: number; device?: TorchDevice; stopAfterSteps?: number },
): string[] {
  const args = [
    "-m",
    "csp_torch.torchrun",
    "--standalone",
    "--nnodes",
    "1",
    "--nproc_per_node",
    String(opts.nproc),
    // The agent polls its workers this often (default 5 s, which a short run spends waiting).
    "--monitor_interval",
    "1",
    "-m",
    "csp_torch.train",
    "--run",
    resolve(run.outDir),
    "--data",
    resolve(run.dataDir),
    "--device",
    opts.device ?? "auto",
  ];
  if (opts.stopAfterSteps !== undefined) args.push("--stop-after", String(opts.stopAfterSteps));
  return args;
}

/**
 * Sets up (or checks, when resuming) the run directory as `csp train` would, ending with a state file
 * the Python trainer starts from: a fresh run gets the seeded initial weights of our engine (the
 * projection before step 0 included when the recipe does not anneal) and zero Adam moments at step 0.
 */
export function prepareTorchRun(req: TorchTrainRequest): PreparedTorchRun {
  // Refused before the corpus is prepared (settings alone decide these; the shared setup resolves them again).
  const early = resolveRunSettings(req).train;
  if (early.snapshot_every > 0) throw new CspError("--snapshot-every is not supported with --engine torch");
  if (req.extension) throw new CspError("run extensions (bridges) are not supported with --engine torch");
  const nproc = req.nproc ?? 1;
  if (early.global_bs % nproc !== 0)
    throw new CspError(`--nproc ${nproc} does not divide the batch size ${early.global_bs}`);
  const prepared = trainerOptionsFor(req);
  const options: TrainerOptions = {
    ...prepared.options,
    runInfo: { ...prepared.options.runInfo, engine: "torch" },
  };
  const { model, train: c, tokenizer } = options;
  const identity = runIdentity(options);
  const statePath = join(req.out, TRAIN_STATE_FILE);
  if (inspectOutDir(req.out, identity).kind === "fresh") {
    mkdirSync(req.out, { recursive: true });
    const learner = createLearner(initModel(model, c.seed), c);
    checkMinAliveFits(learner.plan, c, "train");
    if (c.pfrac !== null && !c.pfrac_anneal) projectToBudget(learner, c.pfrac);
    const loader = new BatchLoader(options.data.train, {
      batchSize: c.global_bs,
      seqLen: c.n_ctx - 1,
      seed: c.data_seed,
    });
    const progress = { nextStep: 0, tokens: 0, elapsedS: 0, loader: loader.state(), identity };
    writeConfig(options, identity, progress);
    saveTokenizer(join(req.out, MODEL_TOKENIZER_DIR), tokenizer);
    saveTrainState(statePath, learner, progress);
  }
  const nextStep = readTrainState(statePath).progress.nextStep;
  return {
    outDir: req.out,
    dataDir: prepared.dataDir,
    nextStep,
    totalSteps: c.total_steps,
    globalBatch: c.global_bs,
  };
}

/** The shell command that trains a prepared run (for --prepare-only and docs/scale-out.md). */
export function torchCommandLine(run: PreparedTorchRun, nproc: number, python = torchPython()): string {
  const quote = (s: string) => (/^[\w./:=@+-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);
  return `PYTHONPATH=${quote(pythonPackageDir())} ${[python, ...torchrunArgs(run, { nproc })].map(quote).join(" ")}`;
}

/** Prepares the run, runs the PyTorch trainer to the end of the schedule, and reports as trainModel does. */
export function runTorchTrainRequest(req: TorchTrainRequest): TrainOutcome {
  const run = prepareTorchRun(req);
  const nproc = req.nproc ?? 1;
  const python = torchPython(req.python);
  const metricsPath = join(req.out, METRICS_FILE);
  if (run.nextStep <= run.totalSteps) {
    const pythonPath = [pythonPackageDir(), process.env.PYTHONPATH].filter(Boolean).join(delimiter);
    const r = spawnSync(
      python,
      torchrunArgs(run, { nproc, device: req.device, stopAfterSteps: req.stopAfterSteps }),
      {
        stdio: req.quiet ? "pipe" : "inherit",
        encoding: "utf8",
        env: {
          ...process.env,
          PYTHONPATH: pythonPath,
          OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? "1",
          PYTHONDONTWRITEBYTECODE: "1", // no __pycache__ inside the installed package
        },
      },
    );
    if (r.error) {
      throw new CspError(
        `${python}: cannot start the torch engine (${r.error.message}); set CSP_PYTHON to a Python with torch`,
      );
    }
    if (r.status !== 0) {
      const tail = req.quiet ? `: ${lastErrorLine(r.stderr)}` : " (its messages are above)";
      throw new CspError(`${req.out}: the torch engine exited with status ${r.status}${tail}`);
    }
  }
  const progress = readTrainState(join(req.out, TRAIN_STATE_FILE)).progress;
  const metrics = readMetrics(metricsPath, progress.nextStep);
  if (metrics.length > 0)
    writeFileAtomic(join(req.out, CURVE_FILE), trainingCurveSvg(metrics, `${req.out}: training curve`));
  return {
    startStep: run.nextStep,
    stepsRun: progress.nextStep - run.nextStep,
    completed: progress.nextStep > run.totalSteps,
    metrics,
    finalValLoss: [...metrics].reverse().find((m) => m.val_loss !== undefined)?.val_loss,
  };
}

/** The most telling line of a failed Python run: its own "csp_torch:" message, else the last line. */
function lastErrorLine(stderr: string | null): string {
  const lines = (stderr ?? "").split("\n").filter((l) => l.trim() !== "");
  return lines.reverse().find((l) => l.includes("csp_torch:")) ?? lines[0] ?? "no output";
}
