import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CspError } from "../errors.js";
import { modelDims, parseConfig, type GPTConfig } from "./config.js";
import { sinusoidalTable } from "./model.js";
import { parameterSpecs } from "./params.js";
import { shapeString } from "../tensor/tensor.js";
import type { StoredTensor, TensorMap } from "../io/safetensors.js";
import { TorchCheckpoint } from "../io/torch/state_dict.js";

/** File names of a released reference model directory (`models/<name>/` of the public bucket). */
export const REFERENCE_CONFIG_FILE = "beeg_config.json";
export const REFERENCE_WEIGHTS_FILE = "final_model.pt";

/** A reference model read and checked against its config, ready to save in our format. */
export interface ReferenceModel {
  config: GPTConfig;
  /** Every tensor the config implies, fp32, under the reference state-dict names, in parameterSpecs order. */
  tensors: TensorMap;
  /** Config keys accepted but without effect (training-only keys); report them once. */
  ignoredKeys: string[];
  /** What loading changed relative to the file, one line each (filled-in zeros, dropped buffers, ...). */
  adjustments: string[];
}

// The causal-mask buffer the reference registers in its non-flash attention path.
const CAUSAL_MASK = /^transformer\.h\.\d+\.attn\.bias$/;

/**
 * Reads `beeg_config.json` + `final_model.pt` from `dir` with the reference's loading rules, made
 * strict: missing `final_logits_bias` → zeros; a missing sinusoidal cat-pos table → the fixed table
 * (as the model loader does); causal-mask buffers [1,1,block_size,block_size] are
 * dropped; with a tied unembedding, a `lm_head.weight` equal to `transformer.wte.weight` is dropped;
 * any other missing or unexpected tensor, or a shape that contradicts the config, is a CspError.
 * Shapes are checked before any tensor data is read.
 */
export function loadReferenceModelDir(dir: string): ReferenceModel {
  const configPath = join(dir, REFERENCE_CONFIG_FILE);
  const { config, ignoredKeys } = parseConfig(readJson(configPath), configPath);
  const weightsPath = join(dir, REFERENCE_WEIGHTS_FILE);
  const ckpt = TorchCheckpoint.open(weightsPath);
  try {
    return { config, ignoredKeys, ...readMatching(ckpt, config, configPath) };
  } finally {
    ckpt.close();
  }
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new CspError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CspError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

function readMatching(
  ckpt: TorchCheckpoint,
  config: GPTConfig,
  configPath: string,
): { tensors: TensorMap; adjustments: string[] } {
  const fail = (problem: string): never => {
    throw new CspError(`${ckpt.path}: ${problem}`);
  };
  const dims = modelDims(config);
  const specs = parameterSpecs(config, dims);
  const expected = new Set(specs.map((s) => s.name));
  const present = new Set(ckpt.names);
  const adjustments: string[] = [];

  // Buffers the reference recreates when a checkpoint lacks them.
  const fillers = new Map<string, { fill: () => Float32Array; note: string }>([
    ["final_logits_bias", { fill: () => new Float32Array(dims.vocab), note: "filled with zeros" }],
  ]);
  if (config.sinusoidal_cat_pos_emb) {
    fillers.set("transformer.wpe.weight", {
      fill: () => sinusoidalTable(dims.blockSize, dims.dPos, (n) => new Float32Array(n)),
      note: "filled with the fixed sinusoidal table",
    });
  }

  const maskShape = [1, 1, dims.blockSize, dims.blockSize];
  const droppedMasks = ckpt.names.filter(
    (n) => CAUSAL_MASK.test(n) && shapeString(ckpt.info(n).shape) === shapeString(maskShape),
  );
  for (const n of droppedMasks) present.delete(n);
  if (droppedMasks.length > 0) {
    adjustments.push(`dropped ${droppedMasks.length} causal-mask buffer(s) (transformer.h.*.attn.bias)`);
  }

  const tiedCopy = config.tied_unembed && present.has("lm_head.weight") && !expected.has("lm_head.weight");
  if (tiedCopy) present.delete("lm_head.weight");

  for (const name of present) {
    if (!expected.has(name)) {
      fail(
        `unexpected tensor "${name}" ${shapeString(ckpt.info(name).shape)}, not part of the model ${configPath} describes`,
      );
    }
  }
  for (const spec of specs) {
    if (present.has(spec.name)) {
      const { shape } = ckpt.info(spec.name);
      if (shapeString(shape) !== shapeString(spec.shape)) {
        fail(
          `tensor "${spec.name}" has shape ${shapeString(shape)}, but ${configPath} implies ${shapeString(spec.shape)}`,
        );
      }
    } else if (!fillers.has(spec.name)) {
      fail(`missing tensor "${spec.name}" ${shapeString(spec.shape)}, which ${configPath} requires`);
    }
  }

  const tensors: TensorMap = new Map();
  for (const spec of specs) {
    if (present.has(spec.name)) {
      tensors.set(spec.name, toF32(ckpt.read(spec.name), spec.name, fail));
    } else {
      const { fill, note } = fillers.get(spec.name)!;
      tensors.set(spec.name, { dtype: "F32", shape: [...spec.shape], data: fill() });
      adjustments.push(`${spec.name} missing: ${note}`);
    }
  }
  if (tiedCopy) {
    const wte = tensors.get("transformer.wte.weight")!;
    const head = toF32(ckpt.read("lm_head.weight"), "lm_head.weight", fail);
    if (!sameValues(wte.data, head.data) || shapeString(wte.shape) !== shapeString(head.shape)) {
      fail(`tied_unembed is true but "lm_head.weight" differs from "transformer.wte.weight"`);
    }
    adjustments.push("dropped lm_head.weight (tied to transformer.wte.weight)");
  }
  return { tensors, adjustments };
}

/** Our model is fp32: widen half / bfloat16, round float64, and refuse integer tensors. */
function toF32(t: StoredTensor, name: string, fail: (problem: string) => never): StoredTensor {
  if (t.dtype === "I32" || t.dtype === "I64")
    return fail(`tensor "${name}" has integer dtype ${t.dtype}; model weights must be floating point`);
  if (t.data instanceof Float32Array) return { dtype: "F32", shape: t.shape, data: t.data };
  return { dtype: "F32", shape: t.shape, data: Float32Array.from(t.data) };
}

function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
