import { Tensor, type FloatArray } from "../tensor/tensor.js";
import { csrNnz, csrRowView, csrToDense, type CsrMatrix } from "../tensor/sparse.js";
import type { Backend } from "../backend/backend.js";
import type { Model } from "./model.js";

/**
 * Linear weights whose density (nonzeros / size) is at most this take the sparse kernels by default.
 * At 1% density the native spmm runs ~30 useful GFLOP/s; dense gemm does better only well above this.
 */
export const DEFAULT_SPARSE_THRESHOLD = 0.25;

/** A linear weight W [out, in] held sparse, for y = x·Wᵀ and its backward. */
export interface SparseLinearWeight {
  /** W as CSR [out, in]: the forward multiplies by it (spmmNT) and SDDMM uses it as the mask. */
  csr: CsrMatrix;
  /** Wᵀ as CSR [in, out] (W's CSC), built on first use: DX = DY·W is spmmNT with it, no per-call transpose. */
  transposed(): CsrMatrix;
}

/** What is cached per dense weight array; `nnz` is counted even when the weight stays dense. */
interface Entry {
  rows: number;
  cols: number;
  nnz: number;
  csr?: CsrMatrix;
  csrT?: CsrMatrix;
}

/**
 * Keyed by the dense array itself, so models that share a tensor (a frozen view of a model, a copy
 * with a few tensors replaced) share its CSR, and a replaced tensor never sees a stale one.
 */
const cache = new WeakMap<Float32Array, Entry>();

/**
 * The sparse form of the Float32 weight `dense` [rows, cols] when its density is at most `threshold`
 * (0 turns the sparse path off, 1 takes it for every weight), else undefined. Built from the dense data
 * on first use and cached until markWeightsChanged / invalidateSparseWeight: whoever writes a weight in
 * place must say so (backward() does it for the weights it computes gradients of, as the optimizer
 * writes them next). `be` counts the nonzeros and builds the CSR (every backend builds the same one).
 */
export function sparseWeight(
  dense: FloatArray,
  rows: number,
  cols: number,
  threshold: number,
  be: Backend,
): SparseLinearWeight | undefined {
  if (threshold <= 0 || !(dense instanceof Float32Array)) return undefined;
  if (dense.length !== rows * cols)
    throw new Error(`weight has ${dense.length} values, expected ${rows}×${cols}`);
  let e = cache.get(dense);
  if (!e || e.rows !== rows || e.cols !== cols) {
    e = { rows, cols, nnz: be.countNonzeros(dense) };
    cache.set(dense, e);
  }
  if (e.nnz > threshold * dense.length) return undefined;
  e.csr ??= be.csrFromDense(dense, rows, cols, e.nnz);
  return formsOf(e);
}

/**
 * sparseWeight for a parameter tensor. A tensor held sparse (loaded from sparse storage, dense data
 * never built) hands over its CSR without building the dense matrix; any other goes through its data.
 */
export function sparseWeightOf(
  t: Tensor,
  rows: number,
  cols: number,
  threshold: number,
  be: Backend,
): SparseLinearWeight | undefined {
  const held = t.heldCsr;
  if (held && threshold > 0) {
    if (held.rows !== rows || held.cols !== cols)
      throw new Error(`weight is held as [${held.rows}, ${held.cols}], expected ${rows}×${cols}`);
    if (held.rowPtr[rows] <= threshold * rows * cols) {
      let e = heldForms.get(held);
      if (!e) {
        e = { rows, cols, nnz: held.rowPtr[rows], csr: held };
        heldForms.set(held, e);
      }
      return formsOf(e);
    }
  }
  return sparseWeight(t.data, rows, cols, threshold, be);
}

/** The cache entries of held CSRs (their transposes, built on first use). */
const heldForms = new WeakMap<CsrMatrix, Entry>();

/**
 * A weight tensor held as `csr` only. Its dense data is built on first access, and the CSR (and any
 * transpose already built) carries over to the cache of that dense array, so nothing is recomputed.
 */
export function heldSparseTensor(csr: CsrMatrix): Tensor<Float32Array> {
  return Tensor.heldSparse(csr, () => {
    const dense = csrToDense(csr);
    const e = heldForms.get(csr);
    cache.set(dense, { rows: csr.rows, cols: csr.cols, nnz: csr.rowPtr[csr.rows], csr, csrT: e?.csrT });
    return dense;
  });
}

function formsOf(entry: Entry): SparseLinearWeight {
  return {
    csr: entry.csr!,
    transposed: () => (entry.csrT ??= transposeCsr(entry.csr!)),
  };
}

/** Forgets the cached sparse form of one dense weight array (it was written in place). */
export function invalidateSparseWeight(dense: FloatArray): void {
  if (dense instanceof Float32Array) cache.delete(dense);
}

/**
 * Tells the engine that weights of `model` changed in place (all of them, or those named), so their
 * CSR is rebuilt from the dense data on next use. Call it after any in-place write that is not
 * preceded by a backward() of that model (which already does it for the parameters it differentiates).
 * The library's weight edits (weight_edits.ts, HookedModel.setWeight / editWeights) do it themselves.
 */
export function markWeightsChanged(model: Model<FloatArray>, names?: Iterable<string>): void {
  for (const name of names ?? model.params.keys()) {
    const t = model.params.get(name);
    // A tensor still held sparse was never written (writes go through its dense data).
    if (t && !t.heldCsr) invalidateSparseWeight(t.data);
  }
}

/** The state-dict names of the model's linear weights (the ones the sparse path can take), in order. */
export function linearWeightNames(model: Model<FloatArray>): string[] {
  const names: string[] = [];
  for (let li = 0; li < model.dims.nLayer; li++) {
    const pre = `transformer.h.${li}`;
    names.push(`${pre}.attn.c_attn.weight`, `${pre}.attn.c_proj.weight`);
    names.push(`${pre}.mlp.c_fc.weight`, `${pre}.mlp.c_proj.weight`);
  }
  names.push(model.config.tied_unembed ? "transformer.wte.weight" : "lm_head.weight");
  return names;
}

/**
 * Rows [r0, r0 + count) of a sparse linear weight, without copying: the forward of a layer whose
 * output is used in parts (c_attn's q, k and v) writes each part straight from its rows.
 */
export function sparseWeightRows(s: SparseLinearWeight, r0: number, count: number): SparseLinearWeight {
  const csr = csrRowView(s.csr, r0, count);
  let transposed: CsrMatrix | undefined;
  return { csr, transposed: () => (transposed ??= transposeCsr(csr)) };
}

/**
 * Aᵀ as CSR by a counting sort over A's nonzeros: O(nnz + cols); rows of Aᵀ stay sorted. A may be a
 * row view (csrRowView: rowPtr[0] > 0).
 */
export function transposeCsr(a: CsrMatrix): CsrMatrix {
  const first = a.rowPtr[0];
  const nnz = csrNnz(a);
  const rowPtr = new Int32Array(a.cols + 1);
  const colIdx = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  for (let p = first; p < first + nnz; p++) rowPtr[a.colIdx[p] + 1]++;
  for (let c = 0; c < a.cols; c++) rowPtr[c + 1] += rowPtr[c];
  const cursor = rowPtr.slice(0, a.cols);
  for (let r = 0; r < a.rows; r++) {
    for (let p = a.rowPtr[r]; p < a.rowPtr[r + 1]; p++) {
      const q = cursor[a.colIdx[p]]++;
      colIdx[q] = r;
      values[q] = a.values[p];
    }
  }
  return { rows: a.cols, cols: a.rows, rowPtr, colIdx, values };
}
