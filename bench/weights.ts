import { join } from "node:path";
import { writeFileAtomic } from "../src/io/atomic.js";
import { writeSafetensors, type TensorMap } from "../src/io/safetensors.js";
import { SPARSE_METADATA_PREFIX } from "../src/io/sparse_tensors.js";
import { CONFIG_FILE, WEIGHTS_FILE } from "../src/model/checkpoint.js";
import { modelDims, parseConfig } from "../src/model/config.js";
import { parameterSpecs } from "../src/model/params.js";
import { sizeOf } from "../src/tensor/tensor.js";
import { Rng } from "../src/random/rng.js";

/**
 * Seeded random weights of a trained-looking weight-sparse model, for inference benchmarks. Every
 * attention/MLP weight matrix keeps exactly trunc(matrixDensity·numel) nonzeros at uniformly random
 * positions, wte and lm_head trunc(embedDensity·numel); everything else is dense (biases, norm gains,
 * sink logits, the concatenated positional table and the bigram table, as in csp_yolo2).
 * Nonzero values are N(0, σ) with σ = 1/√(expected nonzeros per row), so activations keep unit scale.
 */
export interface SparseWeightOptions {
  seed: number;
  matrixDensity: number;
  embedDensity: number;
}

/** A matrix stored by its nonzeros: ascending flat indices and their values. */
export interface SparseEntry {
  kind: "sparse";
  shape: number[];
  indices: Int32Array;
  values: Float32Array;
}

export interface DenseEntry {
  kind: "dense";
  shape: number[];
  data: Float32Array;
}

export type WeightEntry = SparseEntry | DenseEntry;

/** Which density rule a state-dict entry follows; undefined = dense. */
export function densityOf(
  name: string,
  shape: readonly number[],
  o: SparseWeightOptions,
): number | undefined {
  if (name === "transformer.wte.weight" || name === "lm_head.weight") return o.embedDensity;
  if (shape.length === 2 && /\.(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.weight$/.test(name))
    return o.matrixDensity;
  return undefined;
}

/** k distinct indices in [0, n), ascending. Rejection sampling: k ≪ n for the densities used here. */
export function distinctSortedIndices(rng: Rng, n: number, k: number): Int32Array {
  if (!(k >= 0 && k <= n)) throw new Error(`cannot draw ${k} distinct indices from ${n}`);
  if (k > n / 2) {
    // Dense enough that a partial Fisher–Yates over all positions is cheaper than rejection.
    const all = new Int32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    for (let i = 0; i < k; i++) {
      const j = i + rng.int(n - i);
      const t = all[i];
      all[i] = all[j];
      all[j] = t;
    }
    return all.slice(0, k).sort();
  }
  const seen = new Set<number>();
  const out = new Int32Array(k);
  let p = 0;
  while (p < k) {
    const idx = rng.int(n);
    if (!seen.has(idx)) {
      seen.add(idx);
      out[p++] = idx;
    }
  }
  return out.sort();
}

/** Every state-dict entry of the model, in reference order, sparse where the recipe prunes. */
export function generateWeights(
  rawConfig: Record<string, unknown>,
  o: SparseWeightOptions,
): Map<string, WeightEntry> {
  const { config } = parseConfig(rawConfig, "benchmark config");
  const dims = modelDims(config);
  const rng = new Rng(o.seed);
  const out = new Map<string, WeightEntry>();
  for (const spec of parameterSpecs(config, dims)) {
    const shape = [...spec.shape];
    const n = sizeOf(shape);
    const density = densityOf(spec.name, shape, o);
    if (density !== undefined) {
      const k = Math.trunc(density * n);
      const indices = distinctSortedIndices(rng, n, k);
      const sigma = 1 / Math.sqrt(Math.max(1, shape[1] * density));
      const values = new Float32Array(k);
      for (let i = 0; i < k; i++) values[i] = rng.normal() * sigma;
      out.set(spec.name, { kind: "sparse", shape, indices, values });
      continue;
    }
    const data = new Float32Array(n);
    const name = spec.name;
    if (name === "final_logits_bias") {
      // a zero buffer in every released model
    } else if (/\.ln_\w+\.weight$|ln_f\.weight$/.test(name)) {
      for (let i = 0; i < n; i++) data[i] = 1 + 0.1 * rng.normal();
    } else if (name.endsWith(".bias")) {
      for (let i = 0; i < n; i++) data[i] = 0.1 * rng.normal();
    } else if (name === "bigram_table") {
      for (let i = 0; i < n; i++) data[i] = 0.1 * rng.normal();
    } else {
      // wpe (dense: concatenated positions are never pruned), sink logits
      for (let i = 0; i < n; i++) data[i] = rng.normal();
    }
    out.set(name, { kind: "dense", shape, data });
  }
  return out;
}

/** Dense fp32 size of the model in bytes (what PyTorch holds, zeros explicit). */
export function denseBytes(weights: ReadonlyMap<string, WeightEntry>): number {
  let n = 0;
  for (const w of weights.values()) n += sizeOf(w.shape);
  return 4 * n;
}

/**
 * Writes a checkpoint directory (config.json + model.safetensors) in the project's format: sparse
 * matrices as `name.indices`/`name.values` with their shape under `sparse:name` in the metadata
 * (src/io/sparse_tensors.ts), which our loader and bench/torch/st.py both read.
 */
export function writeWeightsCheckpoint(
  dir: string,
  rawConfig: Record<string, unknown>,
  weights: ReadonlyMap<string, WeightEntry>,
): void {
  const tensors: TensorMap = new Map();
  const metadata: Record<string, string> = {};
  for (const [name, w] of weights) {
    if (w.kind === "dense") {
      tensors.set(name, { dtype: "F32", shape: w.shape, data: w.data });
    } else {
      tensors.set(`${name}.indices`, { dtype: "I32", shape: [w.indices.length], data: w.indices });
      tensors.set(`${name}.values`, { dtype: "F32", shape: [w.values.length], data: w.values });
      metadata[`${SPARSE_METADATA_PREFIX}${name}`] = JSON.stringify(w.shape);
    }
  }
  writeSafetensors(join(dir, WEIGHTS_FILE), tensors, metadata);
  writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify(rawConfig, null, 2) + "\n");
}
