import { CspError } from "../errors.js";
import { sizeOf, shapeString } from "../tensor/tensor.js";
import type { StoredTensor, TensorMap } from "./safetensors.js";

/**
 * Sparse tensors inside an ordinary safetensors file. A tensor `W` whose nonzeros are few is stored as
 * `W.indices` (I32, ascending flat indices of the nonzeros) and `W.values` (F32), with its shape in the
 * header metadata under `sparse:W`. Dense tensors keep their own name. Any safetensors reader can open
 * the file; ours rebuilds the dense tensors. A negative zero comes back as +0 (masking in PyTorch leaves
 * -0.0 where a weight was zeroed; the sign of a pruned weight carries no information).
 */
export const SPARSE_METADATA_PREFIX = "sparse:";

/** Store a tensor sparsely when at most this fraction of its entries are nonzero (8 bytes vs 4). */
export const SPARSE_STORAGE_MAX_DENSITY = 0.5;

export function encodeSparse(tensors: TensorMap): { tensors: TensorMap; metadata: Record<string, string> } {
  const out: TensorMap = new Map();
  const metadata: Record<string, string> = {};
  for (const [name, t] of tensors) {
    const nnz = countNonzero(t.data);
    if (t.dtype !== "F32" || t.shape.length < 2 || nnz > SPARSE_STORAGE_MAX_DENSITY * t.data.length) {
      out.set(name, t);
      continue;
    }
    const indices = new Int32Array(nnz);
    const values = new Float32Array(nnz);
    let p = 0;
    for (let i = 0; i < t.data.length; i++) {
      if (t.data[i] !== 0) {
        indices[p] = i;
        values[p] = t.data[i];
        p++;
      }
    }
    out.set(`${name}.indices`, { dtype: "I32", shape: [nnz], data: indices });
    out.set(`${name}.values`, { dtype: "F32", shape: [nnz], data: values });
    metadata[`${SPARSE_METADATA_PREFIX}${name}`] = JSON.stringify(t.shape);
  }
  return { tensors: out, metadata };
}

/** Rebuilds dense tensors from `encodeSparse`'s layout; files without sparse entries pass unchanged. */
export function decodeSparse(
  tensors: TensorMap,
  metadata: Record<string, string>,
  source: string,
): TensorMap {
  const sparse = Object.keys(metadata).filter((k) => k.startsWith(SPARSE_METADATA_PREFIX));
  if (sparse.length === 0) return tensors;
  const out: TensorMap = new Map(tensors);
  for (const key of sparse) {
    const name = key.slice(SPARSE_METADATA_PREFIX.length);
    const fail = (problem: string): never => {
      throw new CspError(`${source}: sparse tensor "${name}": ${problem}`);
    };
    let shape: unknown;
    try {
      shape = JSON.parse(metadata[key]);
    } catch {
      fail(`shape metadata ${JSON.stringify(metadata[key])} is not JSON`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
      fail(`invalid shape ${metadata[key]}`);
    const dims = shape as number[];
    const indices = tensors.get(`${name}.indices`);
    const values = tensors.get(`${name}.values`);
    if (!indices || !values) fail(`needs both "${name}.indices" and "${name}.values"`);
    if (indices!.dtype !== "I32" && indices!.dtype !== "I64")
      fail(`indices have dtype ${indices!.dtype}, expected I32`);
    if (indices!.data.length !== values!.data.length)
      fail(`${indices!.data.length} indices but ${values!.data.length} values`);
    const n = sizeOf(dims);
    const dense = new Float32Array(n);
    let prev = -1;
    for (let i = 0; i < indices!.data.length; i++) {
      const idx = indices!.data[i];
      if (!(idx > prev && idx < n)) fail(`index ${idx} is out of order or outside ${shapeString(dims)}`);
      dense[idx] = values!.data[i];
      prev = idx;
    }
    out.delete(`${name}.indices`);
    out.delete(`${name}.values`);
    out.set(name, { dtype: "F32", shape: dims, data: dense } satisfies StoredTensor);
  }
  return out;
}

export function countNonzero(data: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) n++;
  return n;
}
