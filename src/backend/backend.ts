import type { FloatArray } from "../tensor/tensor.js";
import type { CsrMatrix } from "../tensor/sparse.js";

/** Targets equal to this are ignored by crossEntropy, as torch's ignore_index=-1 in the reference. */
export const IGNORE_INDEX = -1;

/** torch.nn.RMSNorm's default eps: finfo(float32).eps, whatever the compute precision. */
export const RMS_EPS = 1.1920928955078125e-7;

/** Shapes of one causal self-attention call. q, k, v and y are [B, T, H·dh] (heads concatenated). */
export interface AttentionDims {
  b: number;
  t: number;
  nHead: number;
  dHead: number;
}

/** Arguments of rmsNormForward: x [N, D] (rows of stride xStride) into out rows of stride outStride. */
export interface RmsNormForwardArgs {
  x: FloatArray;
  w: FloatArray;
  n: number;
  d: number;
  out: FloatArray;
  rstd: FloatArray;
  xStride?: number;
  outStride?: number;
  outOffset?: number;
}

/** Arguments of rmsNormBackward: dy rows of stride dyStride at dyOffset; x, dx dense [N, D]. */
export interface RmsNormBackwardArgs {
  dy: FloatArray;
  x: FloatArray;
  w: FloatArray;
  rstd: FloatArray;
  n: number;
  d: number;
  dx: FloatArray;
  dw: FloatArray | undefined;
  dyStride?: number;
  dyOffset?: number;
}

/**
 * A [rows, width] block copied between row-major arrays of other widths (q/k/v columns of qkv).
 * srcStride 0 copies the same source row into every destination row (a bias broadcast).
 */
export interface BlockCopy {
  src: FloatArray;
  srcStride: number;
  srcOffset: number;
  dst: FloatArray;
  dstStride: number;
  dstOffset: number;
  rows: number;
  width: number;
}

/** Adam's per-step scalars, computed once per step in double (what every backend's update reads). */
export interface AdamCoefficients {
  beta1: number;
  beta2: number;
  oneMinusBeta1: number;
  oneMinusBeta2: number;
  /** lr/(1−β1^t) */
  stepSize: number;
  /** √(1−β2^t) */
  biasCorrection2Sqrt: number;
  eps: number;
}

/** Which slices of a [rows, cols] matrix are neurons: rows (c_fc, c_attn) or columns (the c_projs). */
export type NeuronAxis = "rows" | "cols";

export interface MinAlive {
  axis: NeuronAxis;
  /** Entries forced into the kept set per neuron (the reference's minimum_alive_per_neuron). */
  perNeuron: number;
}

/** A magnitude top-k projection request (Backend.projectTopK). */
export interface TopKProjection {
  /** The matrix [rows, cols], row-major; modified in place. */
  values: FloatArray;
  rows: number;
  cols: number;
  /** Entries to keep. k ≥ rows·cols keeps everything. */
  k: number;
  minAlive?: MinAlive;
}

/**
 * The hot kernels, one interface, two implementations: `ts` (pure TypeScript, the test oracle, also
 * accepts Float64Array) and `native` (the C++ addon, Float32Array only). Everything above this layer
 * is backend-agnostic TypeScript. All matrices are row-major.
 */
export interface Backend {
  readonly name: "ts" | "native";

  /**
   * C[m,n] = op(A)·op(B) + (accumulate ? C : 0), where op(A) is A[m,k] or, if transA, A stored [k,m]
   * transposed; op(B) is B[k,n] or, if transB, B stored [n,k] transposed.
   * The linear layer uses transB (y = x·Wᵀ with W as [out, in]); its backward uses the other two forms.
   */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    accumulate: boolean,
  ): void;

  /**
   * Y[m, w.rows] = X[m, w.cols]·Wᵀ (+ Y if accumulate) (+ bias[w.rows] on every row, if given): sparse
   * forward of a linear layer.
   */
  spmmNT(
    m: number,
    x: Float32Array,
    w: CsrMatrix,
    y: Float32Array,
    accumulate: boolean,
    bias?: Float32Array,
  ): void;

  /** DX[m, w.cols] = DY[m, w.rows]·W (+ DX if accumulate): sparse backward to the layer input. */
  spmmNN(m: number, dy: Float32Array, w: CsrMatrix, dx: Float32Array, accumulate: boolean): void;

  /**
   * Masked weight gradient (SDDMM): for each nonzero (r, c) of `pattern`,
   * out[p] = Σ_i DY[i, r]·X[i, c] over i < m. `out` has one entry per nonzero of pattern.
   */
  sddmm(m: number, dy: Float32Array, x: Float32Array, pattern: CsrMatrix, out: Float32Array): void;

  /**
   * gemm's product (same arguments and conventions) visiting only the nonzeros of A: for the products
   * of a linear layer whose other operand went through an AbsTopK (75% zeros), at a quarter of the
   * multiply-adds (weight gradient dYᵀ·X and input gradient dY·W with dY sparse; forward X·Wᵀ with X
   * sparse). Each C[i, j] is summed over the p with op(A)[i, p] ≠ 0 in increasing p, from C (accumulate)
   * or from 0; a zero of A contributes nothing, even where op(B) is not finite.
   */
  gemmSparseA(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    accumulate: boolean,
  ): void;

  /**
   * AbsTopK on each row of x [n, d], in place: keep the k largest |x| (PyTorch's selection, ties
   * included), zero the rest; kept [n·d] receives 1 for kept entries, 0 otherwise.
   */
  absTopK(x: FloatArray, n: number, d: number, k: number, kept: Uint8Array): void;

  /** out = GELU(x) with the exact erf, over `size` entries. */
  gelu(x: FloatArray, out: FloatArray, size: number): void;

  /** dx = dy·GELU'(x), over `size` entries. */
  geluBackward(x: FloatArray, dy: FloatArray, dx: FloatArray, size: number): void;

  /**
   * Causal attention with optional sink (see backend/ts/attention.ts for the formulas). `probs`
   * [B, H, T, T] receives the probabilities the backward needs; undefined skips writing them
   * (inference), with y and pSink unchanged.
   */
  attentionForward(
    dims: AttentionDims,
    q: FloatArray,
    k: FloatArray,
    v: FloatArray,
    sink: FloatArray | undefined,
    y: FloatArray,
    probs: FloatArray | undefined,
    pSink: FloatArray | undefined,
  ): void;

  attentionBackward(
    dims: AttentionDims,
    dy: FloatArray,
    q: FloatArray,
    k: FloatArray,
    v: FloatArray,
    probs: FloatArray,
    pSink: FloatArray | undefined,
    dq: FloatArray,
    dk: FloatArray,
    dv: FloatArray,
    dSink: FloatArray | undefined,
  ): void;

  /** out = a + b over `size` entries (out may be a or b): residual adds. */
  addInto(a: FloatArray, b: FloatArray, out: FloatArray, size: number): void;

  /** out[r, :] += table[ids[r], :] for rows of `width` (bigram logits). */
  addGatheredRows(table: FloatArray, ids: Int32Array, width: number, out: FloatArray): void;

  /** table[ids[r], :] += src[r, :] in row order, skipping rows whose id is skipId (embedding gradients). */
  scatterAddRows(src: FloatArray, ids: Int32Array, width: number, table: FloatArray, skipId?: number): void;

  /** A [rows, width] block copied between row-major arrays of other widths (see backend/ts/rows.ts). */
  copyBlock(o: BlockCopy): void;

  /** Circuit pruning's node mask at one site (see NodeMaskArgs): out = m·x + (1 − m)·μ where m ≠ 1. */
  nodeMaskForward(a: NodeMaskForwardArgs): void;

  /** Its backward: dx = m·dOut where m ≠ 1; with dMask, d loss / d m added per channel. */
  nodeMaskBackward(a: NodeMaskBackwardArgs): void;

  /** Entries of `a` that are not zero (-0 counts as zero). */
  countNonzeros(a: Float32Array): number;

  /**
   * The CSR of a dense Float32 matrix [rows, cols] (its exact zeros dropped). `nnz`, its countNonzeros
   * when the caller has it, saves a scan; a wrong one is an error, never a wrong matrix.
   */
  csrFromDense(dense: Float32Array, rows: number, cols: number, nnz?: number): CsrMatrix;

  /** RMSNorm of rows (see backend/ts/rows.ts). */
  rmsNormForward(o: RmsNormForwardArgs): void;

  /** Backward of rmsNormForward: dx accumulated into, dw (if given) accumulated into. */
  rmsNormBackward(o: RmsNormBackwardArgs): void;
  // ---- Training step: optimizer and the per-element tails of the backward. Where the oracle stores
  // to float32, the native kernels compute in double in its operation order and round where it
  // rounds, so they give its results bit for bit (exceptions: sumSquares, crossEntropy).

  /** One Adam update of one tensor, in place on p, m, v (backend/ts/train_kernels.ts: adamUpdateTs). */
  adamUpdate(p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, c: AdamCoefficients): void;

  /**
   * Σ x² over all arrays, in double. The oracle adds in order; native adds blocks of 8192 values
   * (8 interleaved lanes each) and then the block sums in order: ~1e-15 relative difference, and
   * independent of the thread count.
   */
  sumSquares(arrays: readonly FloatArray[]): number;

  /** x ← x / divisor over all arrays (division in double, rounded to the array's type). */
  divideInPlace(arrays: readonly FloatArray[], divisor: number): void;

  /** p ← p − factor·p over all arrays (in double, rounded to the array's type). */
  decayInPlace(arrays: readonly FloatArray[], factor: number): void;

  /** out[j] += Σ_i dy[i, j] for dy [n, d], adding row after row in out's precision (bias gradients). */
  addColumnSums(dy: FloatArray, n: number, d: number, out: FloatArray): void;

  /** dy[i] ← 0 where kept[i] = 0, over `size` entries (the AbsTopK backward). */
  maskByKept(dy: FloatArray, kept: Uint8Array, size: number): void;

  /**
   * Magnitude top-k projection with min-alive, in place (backend/ts/train_topk.ts: projectTopKTs); every backend
   * keeps exactly the same entries. Returns the number kept, min(k, rows·cols).
   */
  projectTopK(p: TopKProjection): number;

  /**
   * Mean cross-entropy of logits [N, V] against targets [N] (−1 = ignored); writes dLogits =
   * (softmax − onehot)·scale/count if given (backend/ts/train_cross_entropy.ts:
   * crossEntropyTs). Rows in
   * double; native uses its own exp, so the float32 gradient may differ from the oracle's by an ulp.
   */
  crossEntropy(
    logits: FloatArray,
    targets: Int32Array,
    v: number,
    dLogits: FloatArray | undefined,
    scale: number,
  ): { loss: number; count: number };
}

/** One site's activations and node mask (circuit pruning: ablated channels move toward μ). */
export interface NodeMaskArgs {
  /** Activations [rows, width]. */
  x: FloatArray;
  rows: number;
  width: number;
  /** m per channel [width]: 1 keeps the channel exactly, 0 replaces it by μ. */
  mask: FloatArray;
  /** μ: one value per channel [width], or with muPerRow one per row and channel [rows·width]. */
  mu: Float32Array;
  muPerRow: boolean;
}

export interface NodeMaskForwardArgs extends NodeMaskArgs {
  /** [rows, width]: x itself (in place), or an array not overlapping it. */
  out: FloatArray;
}

export interface NodeMaskBackwardArgs extends NodeMaskArgs {
  /** d loss / d out [rows, width]. */
  dOut: FloatArray;
  /** d loss / d x [rows, width], written: dOut itself (in place), or an array overlapping neither it nor x. */
  dx: FloatArray;
  /** d loss / d m [width], added into when given. */
  dMask?: Float64Array;
  /** Attribution: rows per sequence; dMask then receives Σ over sequences of |Σ over its rows|. */
  perSequence?: number;
}
