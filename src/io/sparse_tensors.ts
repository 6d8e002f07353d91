import { CspError } from "../errors.js";
import { sizeOf, shapeString } from "../tensor/tensor.js";
import { countNonzero, type CsrMatrix } from "../tensor/sparse.js";
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
  return decodeSparseKeeping(tensors, metadata, source, () => false).tensors;
}

/**
 * decodeSparse, except that the 2-D sparse tensors stay sparse: they come back as CSR in `held`
 * (absent from `tensors`), so a reader that only needs their nonzeros never allocates them dense.
 */
export function decodeSparseHeld(
  tensors: TensorMap,
  metadata: Record<string, string>,
  source: string,
): { tensors: TensorMap; held: Map<string, CsrMatrix> } {
  return decodeSparseKeeping(tensors, metadata, source, (shape) => shape.length === 2);
}

function decodeSparseKeeping(
  tensors: TensorMap,
  metadata: Record<string, string>,
  source: string,
  keepSparse: (shape: readonly number[]) => boolean,
): { tensors: TensorMap; held: Map<string, CsrMatrix> } {
  const held = new Map<string, CsrMatrix>();
  const sparse = Object.keys(metadata).filter((k) => k.startsWith(SPARSE_METADATA_PREFIX));
  if (sparse.length === 0) return { tensors, held };
  const out: TensorMap = new Map(tensors);
  for (const key of sparse) {
    const name = key.slice(SPARSE_METADATA_PREFIX.length);
    const { dims, indices, values } = sparseEntry(tensors, metadata, key, name, source);
    out.delete(`${name}.indices`);
    out.delete(`${name}.values`);
    if (keepSparse(dims)) {
      held.set(name, csrFromSortedIndices(dims[0], dims[1], indices, values));
      continue;
    }
    const dense = new Float32Array(sizeOf(dims));
    for (let i = 0; i < indices.length; i++) dense[indices[i]] = values[i];
    out.set(name, { dtype: "F32", shape: dims, data: dense } satisfies StoredTensor);
  }
  return { tensors: out, held };
}

/** One sparse tensor's shape, indices and values, checked: indices ascending and inside the shape. */
function sparseEntry(
  tensors: TensorMap,
  metadata: Record<string, string>,
  key: string,
  name: string,
  source: string,
): { dims: number[]; indices: ArrayLike<number>; values: ArrayLike<number> } {
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
  let prev = -1;
  for (let i = 0; i < indices!.data.length; i++) {
    const idx = indices!.data[i];
    if (!(idx > prev && idx < n)) fail(`index ${idx} is out of order or outside ${shapeString(dims)}`);
    prev = idx;
  }
  return { dims, indices: indices!.data, values: values!.data };
}

/** CSR [rows, cols] from ascending flat indices (row-major order is CSR order) and their values. */
function csrFromSortedIndices(
  rows: number,
  cols: number,
  indices: ArrayLike<number>,
  values: ArrayLike<number>,
): CsrMatrix {
  const nnz = indices.length;
  const rowPtr = new Int32Array(rows + 1);
  const colIdx = new Int32Array(nnz);
  const vals = new Float32Array(nnz);
  for (let p = 0; p < nnz; p++) {
    const idx = indices[p];
    const r = Math.floor(idx / cols);
    rowPtr[r + 1]++;
    colIdx[p] = idx - r * cols;
    vals[p] = values[p];
  }
  for (let r = 0; r < rows; r++) rowPtr[r + 1] += rowPtr[r];
  return { rows, cols, rowPtr, colIdx, values: vals };
}
