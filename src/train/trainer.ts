import { MODEL_TOKENIZER_DIR } from "../model/model_tokenizer.js";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Backend } from "../backend/backend.js";
import { BatchLoader, type BatchLoaderState } from "../data/batch_loader.js";
import { validationBatches } from "../data/validation_batches.js";
import { CspError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic.js";
import { writeSafetensors } from "../io/safetensors.js";
import { encodeSparse } from "../io/sparse_tensors.js";
import { CONFIG_FILE, WEIGHTS_FILE, stateDict } from "../model/checkpoint.js";
import type { GPTConfig } from "../model/config.js";
import { formatDataGym } from "../tokenizer/data_gym.js";
import { loadTokenizer, saveTokenizer } from "../tokenizer/tokenizer_files.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";
import {
  TRAIN_STATE_FILE,
  readTrainState,
  type SavedState,
  restoreLearner,
  saveTrainState,
  type RunProgress,
} from "./checkpoint_state.js";
import { windowLoss } from "./window_loss.js";
import { initModel } from "./init.js";
import { METRICS_FILE, readMetrics, writeMetrics, type StepMetrics } from "./metrics.js";
import { trainingCurveSvg } from "./plot_svg.js";
import { silentReporter, type TrainReporter } from "./progress_report.js";
import { checkMinAliveFits } from "./sparsity_plan.js";
import { listSnapshots, SNAPSHOTS_DIR, snapshotDue, writeSnapshot } from "./snapshots.js";
import { createLearner, projectToBudget, prunedNonzeros, trainStep, type Learner } from "./step.js";
import type { TrainConfig } from "./train_config.js";
import type { TensorMap } from "../io/safetensors.js";
import type { StepRecord } from "./step.js";

export const CURVE_FILE = "training_curve.svg";

/** Token shards of a prepared corpus and what identifies them (a resumed run must see the same). */
export interface TrainingData {
  train: Uint16Array;
  val: Uint16Array;
  /** E.g. the corpus cache key: stored with the run and compared on resume. */
  identity: Record<string, unknown>;
}

/**
 * A run that trains more than the model (bridges: train/bridges/): it takes over the step, joins the
 * run identity, keeps its tensors in the state file (one commit point) and writes its own exports.
 */
export interface TrainExtension {
  identity: Record<string, unknown>;
  step(
    learner: Learner,
    step: number,
    batch: { tokens: Int32Array; b: number; t: number },
    opts: { backend?: Backend },
  ): StepRecord;
  stateTensors(): TensorMap;
  restore(saved: SavedState, source: string): void;
  writeExports(outDir: string): void;
}

export interface TrainerOptions {
  outDir: string;
  extension?: TrainExtension;
  /** The model to train (vocab_size must equal the tokenizer's). */
  model: GPTConfig;
  train: TrainConfig;
  tokenizer: Tokenizer;
  data: TrainingData;
  /** Free-form facts recorded under train.run in config.json (preset, corpus paths, command). */
  runInfo?: Record<string, unknown>;
  reporter?: TrainReporter;
  backend?: Backend;
  /**
   * Return (as if the process had died) after this many steps of this session, without writing
   * anything beyond the checkpoints already due. For resume tests.
   */
  stopAfterSteps?: number;
}

export interface TrainOutcome {
  /** The step this session started at (0 for a fresh run). */
  startStep: number;
  /** Steps run by this session. */
  stepsRun: number;
  /** True when the whole schedule (steps 0..S) is done. */
  completed: boolean;
  /** Every metrics record of the run so far (resumed sessions include the earlier ones). */
  metrics: StepMetrics[];
  /** The last validation loss measured, if any. */
  finalValLoss?: number;
}

/** The settings that decide the weights: a directory may only be resumed with the same ones. */
export function runIdentity(o: TrainerOptions): Record<string, unknown> {
  // Where and how often checkpoints are written changes no number. The snapshot cadence changes no
  // number either, but a resumed run must keep it (or its snapshot list would have gaps); it joins the
  // identity only when set, so runs made before snapshots existed still resume.
  const { checkpoint_every: _c, snapshot_every, ...rest } = o.train;
  const train = snapshot_every > 0 ? { ...rest, snapshot_every } : rest;
  const files = formatDataGym(o.tokenizer);
  const tokenizer = createHash("sha256")
    .update(files.vocabBpe)
    .update("\0")
    .update(files.encoderJson)
    .digest("hex");
  const ext = o.extension ? { extension: o.extension.identity } : {};
  return { model: o.model, train, data: o.data.identity, tokenizer, ...ext };
}

/** JSON with object keys sorted, so that equal settings compare equal whatever their key order. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(",")}]`;
  if (typeof x === "object" && x !== null) {
    const entries = Object.entries(x).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(x) ?? "null";
}

/** The first key path where two JSON values differ, for a helpful resume error. */
function firstDifference(a: unknown, b: unknown, path = ""): string | undefined {
  if (canonical(a) === canonical(b)) return undefined;
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null && !Array.isArray(a)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b as object)]);
    for (const k of keys) {
      const d = firstDifference(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        path ? `${path}.${k}` : k,
      );
      if (d) return d;
    }
  }
  return `${path || "settings"} (${JSON.stringify(a)?.slice(0, 80)} in the directory, ${JSON.stringify(b)?.slice(0, 80)} now)`;
}

/** Files a run writes; a directory holding only these (and no state) is a run that died before its first checkpoint. */
const RUN_FILES = new Set([CONFIG_FILE, MODEL_TOKENIZER_DIR, METRICS_FILE, CURVE_FILE, SNAPSHOTS_DIR]);

export type DirVerdict = { kind: "fresh" } | { kind: "resume" };

export function inspectOutDir(outDir: string, identity: Record<string, unknown>): DirVerdict {
  if (!existsSync(outDir)) return { kind: "fresh" };
  const entries = readdirSync(outDir).filter((e) => !e.startsWith("."));
  if (entries.length === 0) return { kind: "fresh" };
  const statePath = join(outDir, TRAIN_STATE_FILE);
  let stored: unknown;
  if (existsSync(statePath)) {
    stored = readTrainState(statePath).progress.identity;
  } else {
    const unknown = entries.filter((e) => !RUN_FILES.has(e));
    if (unknown.length > 0 || !entries.includes(CONFIG_FILE)) {
      throw new CspError(
        `${outDir}: output directory is not empty and holds no training state (${entries.slice(0, 3).join(", ")}); choose a new --out`,
      );
    }
    stored = readStoredIdentity(join(outDir, CONFIG_FILE));
  }
  const diff = firstDifference(stored, identity);
  if (diff) {
    throw new CspError(
      `${outDir}: holds a run with other settings, first difference at ${diff}; rerun with the same settings to resume, or choose a new --out`,
    );
  }
  return existsSync(statePath) ? { kind: "resume" } : { kind: "fresh" };
}

function readStoredIdentity(configPath: string): unknown {
  try {
    const raw = JSON.parse(readFileSync(configPath, "utf8")) as { train?: { identity?: unknown } };
    return raw.train?.identity;
  } catch {
    throw new CspError(`${configPath}: not valid JSON; choose a new --out`);
  }
}

/**
 * Trains a model into `outDir`, or resumes the run already there. The directory is at all times a
 * usable checkpoint: config.json (model config + every hyperparameter under "train"), model.safetensors,
 * tokenizer/, metrics.jsonl, training_curve.svg, and train_state.safetensors (weights + Adam moments +
 * data position: the commit point, written atomically). Re-running with the same settings continues
 * from the last checkpoint and ends with exactly the weights an uninterrupted run would have.
 */
export function trainModel(o: TrainerOptions): TrainOutcome {
  const c = o.train;
  const reporter = o.reporter ?? silentReporter;
  if (o.model.vocab_size !== o.tokenizer.vocabSize) {
    throw new CspError(
      `model vocab_size ${o.model.vocab_size} does not match the tokenizer's ${o.tokenizer.vocabSize} ids`,
    );
  }
  if (c.n_ctx > o.model.block_size)
    throw new CspError(`n_ctx ${c.n_ctx} exceeds the model's block_size ${o.model.block_size}`);
  const identity = runIdentity(o);
  const verdict = inspectOutDir(o.outDir, identity);
  const statePath = join(o.outDir, TRAIN_STATE_FILE);
  const metricsPath = join(o.outDir, METRICS_FILE);

  const learner = createLearner(initModel(o.model, c.seed), c);
  checkMinAliveFits(learner.plan, c, "train");
  let progress: RunProgress;
  let loader: BatchLoader;
  let metrics: StepMetrics[];
  const loaderOptions = { batchSize: c.global_bs, seqLen: c.n_ctx - 1, seed: c.data_seed };
  if (verdict.kind === "resume") {
    const saved = readTrainState(statePath);
    restoreLearner(learner, saved, statePath);
    o.extension?.restore(saved, statePath);
    progress = saved.progress;
    loader = new BatchLoader(o.data.train, { ...loaderOptions, state: progress.loader as BatchLoaderState });
    metrics = readMetrics(metricsPath, progress.nextStep);
    if (progress.nextStep <= c.total_steps)
      reporter.message(`resuming ${o.outDir} at step ${progress.nextStep}/${c.total_steps + 1}`);
  } else {
    mkdirSync(o.outDir, { recursive: true });
    // The reference projects once before training when it does not anneal.
    if (c.pfrac !== null && !c.pfrac_anneal) projectToBudget(learner, c.pfrac);
    loader = new BatchLoader(o.data.train, loaderOptions);
    progress = { nextStep: 0, tokens: 0, elapsedS: 0, loader: loader.state(), identity };
    metrics = [];
    // config.json first: a directory holding it (and nothing unknown) is recognised as this run.
    writeConfig(o, identity, progress);
    saveTokenizer(join(o.outDir, MODEL_TOKENIZER_DIR), o.tokenizer);
  }

  const startStep = progress.nextStep;
  const lastStep = c.total_steps;
  const valTokens = o.data.val;
  let finalValLoss = [...metrics].reverse().find((m) => m.val_loss !== undefined)?.val_loss;
  const sessionStart = performance.now();
  const elapsedBefore = progress.elapsedS;
  const tokensBefore = progress.tokens;
  let stepsRun = 0;
  reporter.start(startStep, lastStep + 1);
  try {
    for (let i = startStep; i <= lastStep; i++) {
      const batch = loader.next();
      const rec = (o.extension ? o.extension.step.bind(o.extension) : trainStep)(
        learner,
        i,
        { tokens: batch.tokens, b: batch.rows, t: batch.width },
        { backend: o.backend },
      );
      if (!Number.isFinite(rec.loss)) {
        throw new CspError(`training diverged at step ${i} (loss ${rec.loss}); lower --lr or check the data`);
      }
      stepsRun++;
      const { nonzero, total } = prunedNonzeros(learner);
      const tokens = progress.tokens + batch.rows * (batch.width - 1);
      const sessionSeconds = (performance.now() - sessionStart) / 1000;
      const record: StepMetrics = {
        step: i,
        lr: rec.lr,
        pfrac: rec.pfrac,
        loss: rec.loss,
        grad_norm: rec.gradNorm,
        nonzero,
        prunable: total,
        tokens,
        elapsed_s: elapsedBefore + sessionSeconds,
      };
      if (c.eval_every > 0 && ((i + 1) % c.eval_every === 0 || i === lastStep)) {
        record.val_loss = validationLoss(learner, valTokens, c, o.backend);
        finalValLoss = record.val_loss;
      }
      metrics.push(record);
      progress = { ...progress, nextStep: i + 1, tokens, elapsedS: record.elapsed_s, loader: loader.state() };
      // Before the checkpoint that lists it; a crash in between recomputes the same weights on resume.
      if (snapshotDue(i, c.snapshot_every, lastStep)) writeSnapshot(o.outDir, i + 1, learner.model);
      reporter.step({
        step: i,
        totalSteps: lastStep + 1,
        loss: rec.loss,
        valLoss: finalValLoss,
        nonzero,
        prunable: total,
        tokensPerSecond: (tokens - tokensBefore) / Math.max(sessionSeconds, 1e-9),
        etaSeconds: (sessionSeconds / stepsRun) * (lastStep - i),
      });
      const due = (c.checkpoint_every > 0 && (i + 1) % c.checkpoint_every === 0) || i === lastStep;
      if (due) writeCheckpoint(o, learner, progress, metrics, identity);
      if (o.stopAfterSteps !== undefined && stepsRun >= o.stopAfterSteps && i < lastStep) {
        return { startStep, stepsRun, completed: false, metrics, finalValLoss };
      }
    }
  } finally {
    reporter.stop();
  }
  if (stepsRun === 0) writeCheckpoint(o, learner, progress, metrics, identity); // already complete: refresh exports
  return { startStep, stepsRun, completed: true, metrics, finalValLoss };
}

/** Mean loss on the first eval_batches·global_bs validation windows (fixed, so runs are comparable). */
function validationLoss(learner: Learner, val: Uint16Array, c: TrainConfig, backend?: Backend): number {
  let total = 0;
  let count = 0;
  for (const batch of validationBatches(val, {
    batchSize: c.global_bs,
    seqLen: c.n_ctx - 1,
    maxWindows: c.eval_batches * c.global_bs,
  })) {
    const r = windowLoss(learner.model, batch.tokens, batch.width, { batchSize: batch.rows, backend });
    total += r.loss * r.predictions;
    count += r.predictions;
  }
  return total / count;
}

export function writeConfig(
  o: TrainerOptions,
  identity: Record<string, unknown>,
  progress: RunProgress,
  metrics: readonly StepMetrics[] = [],
): void {
  const train = {
    ...o.train,
    run: o.runInfo ?? {},
    progress: {
      steps_completed: progress.nextStep,
      steps_total: o.train.total_steps + 1,
      tokens: progress.tokens,
      elapsed_s: progress.elapsedS,
    },
    identity,
  };
  if (o.train.snapshot_every > 0)
    Object.assign(train, {
      snapshots: listSnapshots(metrics, o.train.snapshot_every, o.train.total_steps, progress.nextStep),
    });
  writeFileAtomic(join(o.outDir, CONFIG_FILE), JSON.stringify({ ...o.model, train }, null, 2) + "\n");
}

/**
 * metrics.jsonl first (a resumed run drops records past its state, so running ahead is harmless), then
 * the state file, the commit point (one atomic rename), then the exports; if the process dies between
 * them, the next run rewrites them from the state.
 */
function writeCheckpoint(
  o: TrainerOptions,
  learner: Learner,
  progress: RunProgress,
  metrics: readonly StepMetrics[],
  identity: Record<string, unknown>,
): void {
  writeMetrics(join(o.outDir, METRICS_FILE), metrics);
  saveTrainState(join(o.outDir, TRAIN_STATE_FILE), learner, progress, o.extension?.stateTensors());
  // Stored as saveModel stores it: mostly-zero matrices as (indices, values), a few MB per sparse model.
  const weights = encodeSparse(stateDict(learner.model));
  writeSafetensors(join(o.outDir, WEIGHTS_FILE), weights.tensors, weights.metadata);
  o.extension?.writeExports(o.outDir);
  writeConfig(o, identity, progress, metrics);
  writeFileAtomic(join(o.outDir, CURVE_FILE), trainingCurveSvg(metrics, `${o.outDir}: training curve`));
}

/** The tokenizer saved with a run or model directory, if there is one. */
export function runTokenizer(dir: string): Tokenizer | undefined {
  const tokDir = join(dir, MODEL_TOKENIZER_DIR);
  return existsSync(tokDir) ? loadTokenizer(tokDir) : undefined;
}

/**
 * The tokenizer of a run that can be resumed. A run directory without a state restarts from scratch,
 * and its tokenizer/ may have been cut short by a crash, so it is not trusted.
 */
export function resumableRunTokenizer(dir: string): Tokenizer | undefined {
  return existsSync(join(dir, TRAIN_STATE_FILE)) ? runTokenizer(dir) : undefined;
}
