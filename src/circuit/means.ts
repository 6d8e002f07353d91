import { existsSync } from "node:fs";
import { join } from "node:path";
import { CspError } from "../errors.js";
import { readSafetensors, writeSafetensors, type TensorMap } from "../io/safetensors.js";
import { forward } from "../model/gpt.js";
import type { Model } from "../model/model.js";
import { weightsHash } from "../model/model_hash.js";
import { nodeSitePattern, type NodeLayout } from "./nodes.js";

/** The means cache inside a model directory. */
export const MEANS_FILE = "means.safetensors";

/** Where the tokens behind a means file came from (stored as safetensors metadata). */
export interface MeansSource {
  /** Human-readable origin: corpus paths or a shard file. */
  source: string;
  /** weightsHash of the model the means belong to. */
  modelHash: string;
}

/**
 * Each node's mean activation over pretraining text, pooled over every position of `windows`
 * (count × length token windows), plus the windows themselves: resample ablation draws from them, and a
 * random-init control recomputes its own means on exactly the same text.
 */
export interface NodeMeans {
  values: Map<string, Float32Array>;
  windows: Int32Array;
  count: number;
  length: number;
  meta: MeansSource;
}

/**
 * `count` windows of `length` tokens spread evenly over a token stream (first at 0, last at the end);
 * deterministic, and covering the whole stream rather than its beginning.
 */
export function spreadWindows(
  stream: ArrayLike<number>,
  count: number,
  length: number,
  source: string,
): Int32Array {
  if (stream.length < length)
    throw new CspError(`${source}: holds ${stream.length} tokens, fewer than one window of ${length}`);
  const out = new Int32Array(count * length);
  const span = stream.length - length;
  for (let i = 0; i < count; i++) {
    const start = count === 1 ? 0 : Math.floor((i * span) / (count - 1));
    for (let j = 0; j < length; j++) out[i * length + j] = stream[start + j];
  }
  return out;
}

/**
 * Mean activation per node site and channel over all positions of the windows (float64 sums), running
 * `batch` windows per forward pass. `onProgress(done)` counts windows.
 */
export function computeMeans(
  model: Model,
  layout: NodeLayout,
  windows: Int32Array,
  length: number,
  opts: { batch?: number; onProgress?: (done: number) => void } = {},
): Map<string, Float32Array> {
  const count = windows.length / length;
  const batch = Math.max(1, opts.batch ?? Math.max(1, Math.floor(2048 / length)));
  const record = nodeSitePattern(layout);
  const sums = new Map(layout.sites.map((s) => [s.name, new Float64Array(s.width)]));
  for (let start = 0; start < count; start += batch) {
    const b = Math.min(batch, count - start);
    const ids = windows.subarray(start * length, (start + b) * length);
    const fwd = forward(model, ids, b, length, { record });
    for (const site of layout.sites) {
      const acc = sums.get(site.name)!;
      const h = fwd.hooks.get(site.name)!.data;
      const w = site.width;
      for (let r = 0; r < h.length / w; r++) for (let c = 0; c < w; c++) acc[c] += h[r * w + c];
    }
    opts.onProgress?.(start + b);
  }
  const tokens = count * length;
  return new Map([...sums].map(([name, s]) => [name, Float32Array.from(s, (v) => v / tokens)]));
}

/**
 * Writes the means cache: one F32 [width] tensor per node site named by its hook (e.g. "0.attn.q"),
 * `windows` I32 [count, length], and source metadata.
 */
export function saveMeans(path: string, means: NodeMeans): void {
  const tensors: TensorMap = new Map();
  for (const [name, v] of means.values) tensors.set(name, { dtype: "F32", shape: [v.length], data: v });
  tensors.set("windows", { dtype: "I32", shape: [means.count, means.length], data: means.windows });
  writeSafetensors(path, tensors, { source: means.meta.source, model_hash: means.meta.modelHash });
}

/**
 * Reads `<model>/means.safetensors` and checks it against the model: every node site present with its
 * width, and made from these weights (a stale cache would silently ablate to the wrong values).
 */
export function loadMeans(modelDir: string, model: Model, layout: NodeLayout): NodeMeans {
  const path = join(modelDir, MEANS_FILE);
  if (!existsSync(path))
    throw new CspError(
      `${path}: missing; run \`csp means --model ${modelDir}\` first (mean and resample ablation need it)`,
    );
  return readMeansFile(path, model, layout);
}

export function readMeansFile(path: string, model: Model, layout: NodeLayout): NodeMeans {
  const { tensors, metadata } = readSafetensors(path);
  const values = new Map<string, Float32Array>();
  for (const site of layout.sites) {
    const t = tensors.get(site.name);
    if (!t)
      throw new CspError(`${path}: no mean for node site "${site.name}" (made for another model shape?)`);
    if (t.data.length !== site.width || !(t.data instanceof Float32Array))
      throw new CspError(
        `${path}: "${site.name}" has ${t.data.length} values, the site has ${site.width} channels`,
      );
    values.set(site.name, t.data);
  }
  const w = tensors.get("windows");
  if (!w || w.shape.length !== 2 || !(w.data instanceof Int32Array))
    throw new CspError(`${path}: missing integer tensor "windows" [count, length]`);
  for (const id of w.data)
    if (id < 0 || id >= model.dims.vocab)
      throw new CspError(
        `${path}: window token ${id} is outside the model's vocabulary [0, ${model.dims.vocab})`,
      );
  const modelHash = metadata.model_hash ?? "";
  if (modelHash !== weightsHash(model))
    throw new CspError(`${path}: made for other weights (model hash differs); rerun \`csp means\``);
  return {
    values,
    windows: w.data,
    count: w.shape[0],
    length: w.shape[1],
    meta: { source: metadata.source ?? "", modelHash },
  };
}
