import { existsSync } from "node:fs";
import { CspError } from "../errors.js";
import { readSafetensors, writeSafetensors, type TensorMap } from "../io/safetensors.js";
import type { Learner } from "./step.js";

/**
 * The resumable state of a training run, in ONE file (`train_state.safetensors`) so that writing it is
 * a single atomic rename: every tensor of the model (parameters and buffers), Adam's moments, and a
 * JSON record of where the run stands (step, data position, elapsed time, the settings it was started
 * with). model.safetensors next to it is an export of the same weights for `csp loss` / `csp sample`.
 */
export const TRAIN_STATE_FILE = "train_state.safetensors";

const META_KEY = "csp_train_state";
const FORMAT_VERSION = 1;

/** Where a run stands after its last completed step. */
export interface RunProgress {
  /** The next loop index to run (= steps completed). */
  nextStep: number;
  /** Tokens consumed by the completed steps. */
  tokens: number;
  /** Wall-clock seconds spent training, summed over every resume. */
  elapsedS: number;
  /** The batch loader's resumable position (JSON). */
  loader: unknown;
  /**
   * The settings the run was started with (model config, train config, data identity): a re-run
   * must present the same ones to resume.
   */
  identity: Record<string, unknown>;
}

/** `extra`: a run extension's tensors (names must not start with param/ or adam_). */
export function saveTrainState(
  path: string,
  learner: Learner,
  progress: RunProgress,
  extra?: TensorMap,
): void {
  const tensors: TensorMap = new Map(extra);
  for (const spec of learner.model.specs) {
    const t = learner.model.params.get(spec.name)!;
    tensors.set(`param/${spec.name}`, { dtype: "F32", shape: [...spec.shape], data: t.data });
  }
  for (const [name, m] of learner.adam.m) {
    const shape = [...learner.model.params.get(name)!.shape];
    tensors.set(`adam_m/${name}`, { dtype: "F32", shape, data: m });
    tensors.set(`adam_v/${name}`, { dtype: "F32", shape, data: learner.adam.v.get(name)! });
  }
  const meta = { version: FORMAT_VERSION, adamStep: learner.adam.step, ...progress };
  writeSafetensors(path, tensors, { [META_KEY]: JSON.stringify(meta) });
}

export interface SavedState {
  progress: RunProgress;
  adamStep: number;
  tensors: TensorMap;
}

/** Reads a state file; a missing or foreign file is a CspError naming it. */
export function readTrainState(path: string): SavedState {
  if (!existsSync(path)) throw new CspError(`${path}: no training state to resume from`);
  const { tensors, metadata } = readSafetensors(path);
  const raw = metadata[META_KEY];
  if (raw === undefined) throw new CspError(`${path}: not a csp training state (no ${META_KEY} metadata)`);
  let meta: RunProgress & { version: number; adamStep: number };
  try {
    meta = JSON.parse(raw);
  } catch {
    throw new CspError(`${path}: training-state metadata is not valid JSON`);
  }
  if (meta.version !== FORMAT_VERSION) {
    throw new CspError(
      `${path}: training-state format ${meta.version} is not supported (expected ${FORMAT_VERSION})`,
    );
  }
  const { version: _v, adamStep, ...progress } = meta;
  return { progress, adamStep, tensors };
}

/** Copies a saved state into a learner built for the same model and recipe. */
export function restoreLearner(learner: Learner, saved: SavedState, source: string): void {
  const take = (key: string, into: Float32Array) => {
    const t = saved.tensors.get(key);
    if (!t || t.data.length !== into.length) {
      throw new CspError(`${source}: tensor "${key}" is missing or has the wrong size`);
    }
    into.set(t.data);
  };
  for (const spec of learner.model.specs)
    take(`param/${spec.name}`, learner.model.params.get(spec.name)!.data);
  for (const [name, m] of learner.adam.m) {
    take(`adam_m/${name}`, m);
    take(`adam_v/${name}`, learner.adam.v.get(name)!);
  }
  learner.adam.step = saved.adamStep;
}
