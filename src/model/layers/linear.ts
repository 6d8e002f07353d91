import type { Backend } from "../../backend/backend.js";
import { csrToDense } from "../../tensor/sparse.js";
import type { FloatArray } from "../../tensor/tensor.js";
import type { SparseLinearWeight } from "../sparse_weights.js";

/** How a sparse weight's gradient is computed: at every entry (zeros can regrow), or only at its nonzeros. */
export type WeightGradMode = "dense" | "masked";

/**
 * y[N, out] = x[N, in]·Wᵀ + b, with W stored [out, in] as in PyTorch. With `sparse` (W's CSR) and
 * Float32 data the product runs on the sparse kernel: cost ∝ N·nnz(W). The dense `w` is needed only
 * without `sparse` (or for Float64 data).
 */
export function linearForward(
  be: Backend,
  o: {
    x: FloatArray;
    w?: FloatArray;
    b: FloatArray | undefined;
    n: number;
    dIn: number;
    dOut: number;
    out: FloatArray;
    sparse?: SparseLinearWeight;
    /**
     * x went through an AbsTopK (most entries 0): a dense W then multiplies only x's nonzeros
     * (Backend.gemmSparseA), the same sum without the zero terms.
     */
    xSparse?: boolean;
  },
): void {
  const { x, b, n, dIn, dOut, out } = o;
  if (o.sparse && x instanceof Float32Array && out instanceof Float32Array && !(b instanceof Float64Array)) {
    // The sparse kernel adds the bias itself (no separate pass over the output).
    be.spmmNT(n, x, o.sparse.csr, out, false, b);
  } else {
    if (b)
      be.copyBlock({
        src: b,
        srcStride: 0,
        srcOffset: 0,
        dst: out,
        dstStride: dOut,
        dstOffset: 0,
        rows: n,
        width: dOut,
      });
    const w = o.w ?? (o.sparse ? csrToDense(o.sparse.csr) : undefined);
    if (!w) throw new Error("linearForward: needs the dense weight or its sparse form");
    if (o.xSparse && x instanceof Float32Array && w instanceof Float32Array && out instanceof Float32Array) {
      be.gemmSparseA(false, true, n, dOut, dIn, x, w, out, b !== undefined);
    } else {
      be.gemm(false, true, n, dOut, dIn, x, w, out, b !== undefined);
    }
  }
}

/**
 * dx[N, in] (+)= dy[N, out]·W;  dW[out, in] += dyᵀ·x;  db[out] += Σ_n dy.
 * Any of dx / dw / db may be omitted when that gradient is not needed. With `sparse` and Float32
 * data, dx runs on the sparse kernel (spmmNT with Wᵀ's CSR); dW stays the full dense product unless
 * weightGrad is "masked", which computes it only at W's nonzeros (SDDMM) and leaves the rest of dW as is.
 * The dense products (dx with a dense W, the full dW) skip dy's zeros when the caller says dy is
 * sparse (`dySparse`).
 */
export function linearBackward(
  be: Backend,
  o: {
    dy: FloatArray;
    x: FloatArray;
    w: FloatArray;
    n: number;
    dIn: number;
    dOut: number;
    dx?: FloatArray;
    accumulateDx?: boolean;
    dw?: FloatArray;
    db?: FloatArray;
    sparse?: SparseLinearWeight;
    weightGrad?: WeightGradMode;
    /**
     * dy went through an AbsTopK (most entries 0): the dense products then visit only dy's nonzeros
     * (Backend.gemmSparseA), the same sums without the zero terms.
     */
    dySparse?: boolean;
  },
): void {
  const { dy, x, w, n, dIn, dOut } = o;
  const sparse = o.sparse && dy instanceof Float32Array && x instanceof Float32Array ? o.sparse : undefined;
  const dySparse = o.dySparse && dy instanceof Float32Array ? dy : undefined;
  if (o.dx) {
    if (sparse && o.dx instanceof Float32Array) {
      be.spmmNT(n, dy as Float32Array, sparse.transposed(), o.dx, o.accumulateDx ?? false);
    } else if (dySparse && w instanceof Float32Array && o.dx instanceof Float32Array) {
      be.gemmSparseA(false, false, n, dIn, dOut, dySparse, w, o.dx, o.accumulateDx ?? false);
    } else {
      be.gemm(false, false, n, dIn, dOut, dy, w, o.dx, o.accumulateDx ?? false);
    }
  }
  if (o.dw) {
    if (sparse && o.weightGrad === "masked") {
      maskedWeightGrad(be, n, dy as Float32Array, x as Float32Array, sparse, o.dw);
    } else if (dySparse && x instanceof Float32Array && o.dw instanceof Float32Array) {
      be.gemmSparseA(true, false, dOut, dIn, n, dySparse, x, o.dw, true);
    } else {
      be.gemm(true, false, dOut, dIn, n, dy, x, o.dw, true);
    }
  }
  if (o.db) be.addColumnSums(dy, n, dOut, o.db);
}

/** dW[r, c] += Σ_n dy[n, r]·x[n, c] at the nonzeros (r, c) of W only. */
function maskedWeightGrad(
  be: Backend,
  n: number,
  dy: Float32Array,
  x: Float32Array,
  sparse: SparseLinearWeight,
  dw: FloatArray,
): void {
  const { rows, cols, rowPtr, colIdx } = sparse.csr;
  const atNonzeros = new Float32Array(rowPtr[rows]);
  be.sddmm(n, dy, x, sparse.csr, atNonzeros);
  for (let r = 0; r < rows; r++) {
    for (let p = rowPtr[r]; p < rowPtr[r + 1]; p++) dw[r * cols + colIdx[p]] += atNonzeros[p];
  }
}
