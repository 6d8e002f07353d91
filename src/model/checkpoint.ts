import { existsSync, readFileSync, renameSync, rmSync, mkdirSync } from "node:fs";
import { join, dirname, basename } from "node:path";
import { CspError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic.js";
import { readSafetensors, writeSafetensors, type StoredTensor, type TensorMap } from "../io/safetensors.js";
import { decodeSparseHeld, encodeSparse } from "../io/sparse_tensors.js";
import { Tensor } from "../tensor/tensor.js";
import { parseConfig, type GPTConfig } from "./config.js";
import { createModel, type Model } from "./model.js";
import { heldSparseTensor } from "./sparse_weights.js";

export const CONFIG_FILE = "config.json";
export const WEIGHTS_FILE = "model.safetensors";

export interface LoadedModel {
  model: Model;
  /** The whole config.json, including keys outside GPTConfig (e.g. "train"). */
  rawConfig: Record<string, unknown>;
  ignoredKeys: string[];
}

/** Reads a checkpoint directory: config.json (GPTConfig fields) + model.safetensors (reference names). */
export function loadModel(dir: string): Model {
  const loaded = loadModelWithConfig(dir);
  reportIgnoredKeys(join(dir, CONFIG_FILE), loaded.ignoredKeys);
  return loaded.model;
}

const reported = new Set<string>();

/** Says once per file and process which config keys were accepted but have no effect. */
export function reportIgnoredKeys(file: string, keys: readonly string[]): void {
  if (keys.length === 0 || reported.has(file)) return;
  reported.add(file);
  console.error(`csp: note: ${file}: ignoring keys with no effect on the model: ${keys.join(", ")}`);
}

export function loadModelWithConfig(dir: string): LoadedModel {
  const configPath = join(dir, CONFIG_FILE);
  const weightsPath = join(dir, WEIGHTS_FILE);
  if (!existsSync(dir)) throw new CspError(`${dir}: model directory does not exist`);
  if (!existsSync(configPath))
    throw new CspError(`${configPath}: missing (a model directory holds config.json and model.safetensors)`);
  if (!existsSync(weightsPath))
    throw new CspError(`${weightsPath}: missing (a model directory holds config.json and model.safetensors)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(configPath, "utf8"));
  } catch (e) {
    throw new CspError(`${configPath}: not valid JSON (${(e as Error).message.split("\n")[0]})`);
  }
  // Keys we write next to the GPTConfig fields are not "unknown".
  const { train: _train, ...rest } = raw as Record<string, unknown>;
  const { config, ignoredKeys } = parseConfig(rest, configPath);
  const file = readSafetensors(weightsPath);
  // Matrices stored sparse stay CSR until something reads them dense: inference on the sparse
  // kernels never allocates them (memory ∝ nonzeros).
  const decoded = decodeSparseHeld(file.tensors, file.metadata, weightsPath);
  const tensors: Map<string, { shape: readonly number[]; data: Float32Array } | Tensor<Float32Array>> =
    modelTensors(decoded.tensors, weightsPath);
  for (const [name, csr] of decoded.held) tensors.set(name, heldSparseTensor(csr));
  return {
    model: createModel(config, tensors, weightsPath, (n) => new Float32Array(n)),
    rawConfig: raw as Record<string, unknown>,
    ignoredKeys,
  };
}

/** Float tensors as Float32Array; anything else is refused with the file and tensor named. */
export function modelTensors(
  stored: TensorMap,
  source: string,
): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, t] of stored) {
    if (t.dtype === "I32" || t.dtype === "I64")
      throw new CspError(
        `${source}: tensor "${name}" has integer dtype ${t.dtype}; model weights must be floating point`,
      );
    out.set(name, {
      shape: t.shape,
      data: t.data instanceof Float32Array ? t.data : Float32Array.from(t.data),
    });
  }
  return out;
}

/** The model's tensors in reference order, as F32 safetensors entries. */
export function stateDict(model: Model): TensorMap {
  const map: TensorMap = new Map();
  for (const spec of model.specs) {
    const t = model.params.get(spec.name)!;
    map.set(spec.name, { dtype: "F32", shape: [...spec.shape], data: t.data } satisfies StoredTensor);
  }
  return map;
}

/**
 * Writes a checkpoint directory atomically: everything goes to a temporary sibling directory which is
 * then renamed over `dir`, so a crash leaves either the old checkpoint or the new one.
 */
export function saveModel(dir: string, model: Model, extra: Record<string, unknown> = {}): void {
  saveCheckpointFiles(dir, model.config, stateDict(model), extra);
}

export function saveCheckpointFiles(
  dir: string,
  config: GPTConfig,
  tensors: TensorMap,
  extra: Record<string, unknown> = {},
  extraFiles: Record<string, string | Uint8Array> = {},
): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(dir)}.${process.pid}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    writeFileAtomic(join(tmp, CONFIG_FILE), JSON.stringify({ ...config, ...extra }, null, 2) + "\n");
    // Mostly-zero matrices are stored as (indices, values): a weight-sparse model is a few MB, not hundreds.
    const encoded = encodeSparse(tensors);
    writeSafetensors(join(tmp, WEIGHTS_FILE), encoded.tensors, encoded.metadata);
    for (const [rel, content] of Object.entries(extraFiles)) writeFileAtomic(join(tmp, rel), content);
    const old = `${tmp}.old`;
    if (existsSync(dir)) renameSync(dir, old);
    renameSync(tmp, dir);
    rmSync(old, { recursive: true, force: true });
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
