import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { computeMeans, MEANS_FILE, saveMeans, spreadWindows } from "../circuit/means.js";
import { meansTokens } from "../circuit/means_source.js";
import { nodeLayout } from "../circuit/nodes.js";
import { fullTestLoss } from "../circuit/evaluate.js";
import { setupPrune } from "../circuit/setup.js";
import { CspError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic.js";
import type { ProgressFactory } from "../io/progress.js";
import { readSafetensors } from "../io/safetensors.js";
import { loadModelWithConfig } from "../model/checkpoint.js";
import { weightsHash, sha256 } from "../model/model_hash.js";
import { loadModelTokenizer } from "../model/model_tokenizer.js";
import { taskNameOf } from "../tasks/load.js";
import { readSnapshotList, snapshotModelDir, type SnapshotEntry } from "../train/snapshots.js";
import { writeCircuit } from "./circuit_file.js";
import { runPrune, type PruneJob } from "./run.js";
import {
  jaccard,
  nodeSet,
  TRAJECTORY_FILE,
  TRAJECTORY_FORMAT,
  type TrajectoryFile,
  type TrajectorySnapshot,
} from "./trajectory_format.js";
import { TRAJECTORY_PLOTS, trajectoryPlots } from "./trajectory_plots.js";

/** Where the means of every snapshot are taken: the same token windows for all of them. */
export interface TrajectoryMeansSource {
  /** Python files or directories (csp means --corpus); default: the run's means windows, else stdlib. */
  corpus?: string[];
  /** A token shard instead of a corpus (csp means --shard). */
  shard?: string;
  /** Tokens to average over (csp means --tokens). */
  tokens: number;
  /** Window length; default: the run's training context. */
  seqLen?: number;
}

export interface TrajectoryJob {
  runDir: string;
  taskPath: string;
  outDir: string;
  /** Everything of a prune job but the model, task and output (PRUNE_JOB_DEFAULTS plus flags). */
  prune: Omit<PruneJob, "modelDir" | "taskPath" | "out" | "progress">;
  means: TrajectoryMeansSource;
  /** Only these snapshot steps (the final snapshot is always included); default: every snapshot. */
  at?: readonly number[];
  progress?: ProgressFactory;
  /** One line per finished snapshot. */
  log?: (line: string) => void;
}

export interface TrajectoryResult {
  trajectory: TrajectoryFile;
  /** Snapshots pruned (or reused from an interrupted run) and skipped. */
  pruned: number;
  skipped: number;
  seconds: number;
}

const stepName = (step: number) => `step-${String(step).padStart(6, "0")}`;

interface Windows {
  windows: Int32Array;
  length: number;
  source: string;
}

/**
 * The token windows every snapshot's means are taken on: the run's own means.safetensors windows when
 * it has them and no other source is named (so the final snapshot's means equal the run's), else
 * `csp means`'s choice from the corpus or shard.
 */
function meansWindows(job: TrajectoryJob, vocab: number, nCtx: number): Windows {
  const own = join(job.runDir, MEANS_FILE);
  if (!job.means.corpus && !job.means.shard && existsSync(own)) {
    const w = readSafetensors(own).tensors.get("windows");
    if (!w || w.shape.length !== 2 || !(w.data instanceof Int32Array))
      throw new CspError(`${own}: missing integer tensor "windows" [count, length]`);
    return { windows: w.data, length: w.shape[1], source: `the windows of ${own}` };
  }
  const length = job.means.seqLen ?? nCtx;
  const count = Math.ceil(job.means.tokens / length);
  const source = meansTokens({
    shard: job.means.shard,
    corpus: job.means.corpus,
    tokenizer: () => loadModelTokenizer(job.runDir, { vocab }),
    vocab,
    need: count * length,
  });
  return {
    windows: spreadWindows(source.stream, count, length, source.source),
    length,
    source: source.source,
  };
}

/** The snapshots `job.at` names, plus the final one; a step that is not a snapshot is an error. */
function chooseSnapshots(job: TrajectoryJob, all: SnapshotEntry[]): SnapshotEntry[] {
  if (!job.at) return all;
  const steps = new Set(all.map((e) => e.step));
  for (const step of job.at)
    if (!steps.has(step))
      throw new CspError(
        `--at: step ${step} is not a snapshot of ${job.runDir} (snapshots: ${[...steps].join(", ")})`,
      );
  const wanted = new Set(job.at);
  return all.filter((e, i) => wanted.has(e.step) || i === all.length - 1);
}

/** Everything that fixes the results: an interrupted run resumes only if these are unchanged. */
function settingsRecord(job: TrajectoryJob, list: readonly SnapshotEntry[], windows: Windows): string {
  return JSON.stringify({
    run: resolve(job.runDir),
    snapshots: list.map((e) => [e.step, e.file]),
    task_hash: sha256(readFileSync(job.taskPath)),
    prune: job.prune,
    means: {
      source: windows.source,
      windows: sha256(
        new Uint8Array(windows.windows.buffer, windows.windows.byteOffset, windows.windows.byteLength),
      ),
    },
  });
}

/** Prunes (or skips) one snapshot in `work` and returns its record, circuit path relative to `work`. */
function snapshotRecord(
  job: TrajectoryJob,
  entry: SnapshotEntry,
  windows: Windows,
  work: string,
): TrajectorySnapshot {
  const name = stepName(entry.step);
  const modelDir = join(work, "models", name);
  snapshotModelDir(job.runDir, entry, modelDir);
  const { model } = loadModelWithConfig(modelDir);
  const layout = nodeLayout(model.dims);
  const count = windows.windows.length / windows.length;
  const values = computeMeans(model, layout, windows.windows, windows.length);
  saveMeans(join(modelDir, MEANS_FILE), {
    values,
    windows: windows.windows,
    count,
    length: windows.length,
    meta: { source: windows.source, modelHash: weightsHash(model) },
  });
  const setup = setupPrune({ modelDir, taskPath: job.taskPath, ablation: job.prune.ablation });
  const taskLoss = fullTestLoss(setup);
  const base = { step: entry.step, tokens: entry.tokens, val_loss: entry.val_loss, task_loss: taskLoss };
  // A model that has not learned the task has no circuit that reaches the target: not pruned.
  if (!(taskLoss <= job.prune.targetLoss))
    return {
      ...base,
      reached: false,
      nodes: 0,
      edges: 0,
      node_set: [],
      jaccard_with_final: null,
      circuit: null,
    };
  const result = runPrune({ ...job.prune, modelDir, taskPath: job.taskPath, progress: job.progress });
  const circuit = result.circuit;
  // Paths as seen from circuits/ inside the finished output directory.
  circuit.model.path = `../models/${name}`;
  circuit.task.path = relative(resolve(job.outDir, "circuits"), resolve(job.taskPath));
  const file = `circuits/${name}.json`;
  writeCircuit(join(work, file), circuit);
  return {
    ...base,
    reached: circuit.reached,
    nodes: circuit.num_nodes,
    edges: circuit.num_edges,
    node_set: nodeSet(circuit.nodes),
    jaccard_with_final: null,
    circuit: file,
  };
}

/**
 * `csp trajectory`: prunes one task at every weight snapshot of a training run, with each snapshot's own
 * means on the same windows, and writes `outDir` (trajectory.json, the plots, circuits/, and models/:
 * each snapshot as a model directory with its means, which the circuit files point at). The directory
 * is built as `outDir.partial` and renamed into place when complete; rerunning the same command after
 * an interruption reuses the snapshots already done.
 */
export function runTrajectory(job: TrajectoryJob): TrajectoryResult {
  const started = Date.now();
  const log = job.log ?? (() => {});
  if (existsSync(job.outDir))
    throw new CspError(`${job.outDir}: already exists; choose a new --out (or delete it to recompute)`);
  if (!existsSync(job.taskPath)) throw new CspError(`${job.taskPath}: task file does not exist`);
  const list = chooseSnapshots(job, readSnapshotList(job.runDir));
  const { model, rawConfig } = loadModelWithConfig(job.runDir);
  const nCtx = (rawConfig.train as { n_ctx?: number } | undefined)?.n_ctx ?? model.dims.blockSize;
  const windows = meansWindows(job, model.dims.vocab, Math.min(nCtx, model.dims.blockSize));

  const work = `${job.outDir.replace(/\/+$/, "")}.partial`;
  const settingsPath = join(work, "settings.json");
  const settings = settingsRecord(job, list, windows);
  if (existsSync(work) && (!existsSync(settingsPath) || readFileSync(settingsPath, "utf8") !== settings)) {
    log(`${work}: left by a run with other settings; starting over`);
    rmSync(work, { recursive: true, force: true });
  }
  mkdirSync(work, { recursive: true });
  writeFileAtomic(settingsPath, settings);

  const records: TrajectorySnapshot[] = [];
  for (const [n, entry] of list.entries()) {
    const recordPath = join(work, "records", `${stepName(entry.step)}.json`);
    const t0 = Date.now();
    let rec: TrajectorySnapshot;
    const reused = existsSync(recordPath);
    if (reused) {
      rec = JSON.parse(readFileSync(recordPath, "utf8")) as TrajectorySnapshot;
    } else {
      rec = snapshotRecord(job, entry, windows, work);
      writeFileAtomic(recordPath, JSON.stringify(rec));
    }
    const what =
      rec.circuit === null
        ? "full model misses the target: not pruned"
        : `${rec.reached ? "reached" : "NOT reached"}, ${rec.nodes} nodes, ${rec.edges} edges`;
    log(
      `[${n + 1}/${list.length}] step ${entry.step}: task loss ${rec.task_loss.toFixed(4)}, ${what} (${reused ? "reused from the interrupted run" : `${((Date.now() - t0) / 1000).toFixed(1)}s`})`,
    );
    records.push(rec);
  }

  const final = records[records.length - 1].node_set;
  for (const r of records) r.jaccard_with_final = jaccard(r.node_set, final);
  const trajectory: TrajectoryFile = {
    format: TRAJECTORY_FORMAT,
    model: { path: relative(resolve(job.outDir), resolve(job.runDir)), name: basename(resolve(job.runDir)) },
    task: { name: taskNameOf(job.taskPath), path: relative(resolve(job.outDir), resolve(job.taskPath)) },
    target_loss: job.prune.targetLoss,
    final_step: records[records.length - 1].step,
    snapshots: records,
  };
  writeFileAtomic(join(work, TRAJECTORY_FILE), JSON.stringify(trajectory, null, 1) + "\n");
  const plots = trajectoryPlots(trajectory);
  for (const key of Object.keys(TRAJECTORY_PLOTS) as (keyof typeof TRAJECTORY_PLOTS)[])
    writeFileAtomic(join(work, TRAJECTORY_PLOTS[key]), plots[key]);
  rmSync(join(work, "records"), { recursive: true, force: true });
  rmSync(settingsPath);
  renameSync(work, job.outDir);
  const pruned = records.filter((r) => r.circuit !== null).length;
  return { trajectory, pruned, skipped: records.length - pruned, seconds: (Date.now() - started) / 1000 };
}
