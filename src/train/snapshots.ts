import { cpSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { CspError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic.js";
import { writeSafetensors } from "../io/safetensors.js";
import { encodeSparse } from "../io/sparse_tensors.js";
import { CONFIG_FILE, WEIGHTS_FILE, stateDict } from "../model/checkpoint.js";
import type { Model } from "../model/model.js";
import { MODEL_TOKENIZER_DIR } from "../model/model_tokenizer.js";
import type { StepMetrics } from "./metrics.js";

/**
 * Weight snapshots of a training run (`csp train --snapshot-every N`): the model after every N completed
 * steps, and after the last step, in `<run>/snapshots/step-NNNNNN.safetensors`, stored as
 * model.safetensors is (mostly-zero matrices as indices + values). A snapshot's `step` counts completed
 * optimizer steps, so step N is the weights after loop steps 0..N-1, the state metrics.jsonl records
 * under `step: N-1`. The list lives in config.json under `train.snapshots`.
 */
export const SNAPSHOTS_DIR = "snapshots";

/** One entry of config.json's `train.snapshots`. */
export interface SnapshotEntry {
  /** Completed optimizer steps. */
  step: number;
  /** Training tokens consumed by then. */
  tokens: number;
  /** Validation loss measured at that step, or null when none was (eval cadence not aligned). */
  val_loss: number | null;
  /** Path relative to the run directory. */
  file: string;
}

export function snapshotFile(step: number): string {
  return `${SNAPSHOTS_DIR}/step-${String(step).padStart(6, "0")}.safetensors`;
}

/** Whether the weights after loop step `i` are a snapshot: every `every` completed steps, and the last. */
export function snapshotDue(i: number, every: number, lastStep: number): boolean {
  return every > 0 && ((i + 1) % every === 0 || i === lastStep);
}

/** Writes the model's weights as the snapshot after `step` completed steps (atomically). */
export function writeSnapshot(runDir: string, step: number, model: Model): void {
  const weights = encodeSparse(stateDict(model));
  writeSafetensors(join(runDir, snapshotFile(step)), weights.tensors, weights.metadata);
}

/**
 * The snapshots a run has made once `stepsDone` steps are complete, from its cadence and its metrics
 * (which hold a record for every completed step).
 */
export function listSnapshots(
  metrics: readonly StepMetrics[],
  every: number,
  lastStep: number,
  stepsDone: number,
): SnapshotEntry[] {
  if (every <= 0) return [];
  const out: SnapshotEntry[] = [];
  for (const m of metrics) {
    if (m.step >= stepsDone || !snapshotDue(m.step, every, lastStep)) continue;
    out.push({
      step: m.step + 1,
      tokens: m.tokens,
      val_loss: m.val_loss ?? null,
      file: snapshotFile(m.step + 1),
    });
  }
  return out;
}

/**
 * Reads a run's snapshot list from its config.json; a run without one is an error that says how to
 * make snapshots.
 */
export function readSnapshotList(runDir: string): SnapshotEntry[] {
  const configPath = join(runDir, CONFIG_FILE);
  if (!existsSync(configPath)) throw new CspError(`${configPath}: missing (not a csp train run directory)`);
  let raw: { train?: { snapshots?: unknown } };
  try {
    raw = JSON.parse(readFileSync(configPath, "utf8"));
  } catch {
    throw new CspError(`${configPath}: not valid JSON`);
  }
  const list = raw.train?.snapshots;
  if (!Array.isArray(list) || list.length === 0)
    throw new CspError(
      `${configPath}: the run has no weight snapshots; train it with \`csp train ... --snapshot-every N --out NEW_DIR\``,
    );
  for (const e of list as SnapshotEntry[]) {
    if (!Number.isInteger(e?.step) || typeof e.file !== "string" || typeof e.tokens !== "number")
      throw new CspError(`${configPath}: train.snapshots holds a malformed entry ${JSON.stringify(e)}`);
    if (!existsSync(join(runDir, e.file)))
      throw new CspError(`${join(runDir, e.file)}: snapshot listed in ${configPath} is missing`);
  }
  return list as SnapshotEntry[];
}

/**
 * Makes `dir` a model directory of one snapshot (config.json and tokenizer/ of the run, the snapshot as
 * model.safetensors, hard-linked where the file system allows), so every command that takes `--model`
 * works on it. `dir` is replaced.
 */
export function snapshotModelDir(runDir: string, entry: SnapshotEntry, dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const raw = JSON.parse(readFileSync(join(runDir, CONFIG_FILE), "utf8")) as Record<string, unknown>;
  const train = { ...(raw.train as Record<string, unknown> | undefined), snapshot_of: entry.step };
  writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify({ ...raw, train }, null, 2) + "\n");
  const source = join(runDir, entry.file);
  try {
    linkSync(source, join(dir, WEIGHTS_FILE));
  } catch {
    cpSync(source, join(dir, WEIGHTS_FILE));
  }
  const tokenizer = join(runDir, MODEL_TOKENIZER_DIR);
  if (existsSync(tokenizer)) cpSync(tokenizer, join(dir, MODEL_TOKENIZER_DIR), { recursive: true });
}
