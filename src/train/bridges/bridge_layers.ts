import type { Backend } from "../../backend/backend.js";
import { absTopKBackward } from "../../model/layers/abstopk.js";
import { linearBackward, linearForward } from "../../model/layers/linear.js";
import { allocLike, type FloatArray } from "../../tensor/tensor.js";

// Shapes: N = B·T rows; Dd = the dense model's d_model; Ds = the sparse model's d_model.

/** One bridge's parameters (nn.Linear layout, weight [out, in]) and their gradient arrays. */
export interface BridgeWeights {
  w: FloatArray;
  b: FloatArray;
  dw?: FloatArray;
  db?: FloatArray;
}

/** What encoderBackward needs of encoderForward. */
export interface EncoderCache {
  x: FloatArray;
  kept?: Uint8Array;
}

/**
 * f(h_dense) = AbsTopK(h_dense·Wᵀ + b, k): x (N, Dd) → (N, Ds). k = Ds keeps everything (no top-k).
 */
export function encoderForward(
  be: Backend,
  enc: BridgeWeights,
  o: { x: FloatArray; n: number; dIn: number; dOut: number; k: number },
): { out: FloatArray; cache: EncoderCache } {
  const out = allocLike(o.x, o.n * o.dOut);
  linearForward(be, { x: o.x, w: enc.w, b: enc.b, n: o.n, dIn: o.dIn, dOut: o.dOut, out });
  let kept: Uint8Array | undefined;
  if (o.k < o.dOut) {
    kept = new Uint8Array(o.n * o.dOut);
    be.absTopK(out, o.n, o.dOut, o.k, kept);
  }
  return { out, cache: { x: o.x, kept } };
}

/** dy (N, Ds) → dx (N, Dd); accumulates dW, db into enc.dw, enc.db. dy is overwritten. */
export function encoderBackward(
  be: Backend,
  enc: BridgeWeights,
  cache: EncoderCache,
  o: { dy: FloatArray; n: number; dIn: number; dOut: number },
): FloatArray {
  if (cache.kept) absTopKBackward(o.dy, cache.kept, o.n * o.dOut, be);
  const dx = allocLike(o.dy, o.n * o.dIn);
  linearBackward(be, {
    dy: o.dy,
    x: cache.x,
    w: enc.w,
    n: o.n,
    dIn: o.dIn,
    dOut: o.dOut,
    dx,
    dw: enc.dw,
    db: enc.db,
  });
  return dx;
}

/** g(h_sparse) = h_sparse·Wᵀ + b: x (N, Ds) → (N, Dd). */
export function decoderForward(
  be: Backend,
  dec: BridgeWeights,
  o: { x: FloatArray; n: number; dIn: number; dOut: number },
): FloatArray {
  const out = allocLike(o.x, o.n * o.dOut);
  linearForward(be, { x: o.x, w: dec.w, b: dec.b, n: o.n, dIn: o.dIn, dOut: o.dOut, out });
  return out;
}

/** dy (N, Dd) → dx (N, Ds); accumulates dW, db into dec.dw, dec.db. */
export function decoderBackward(
  be: Backend,
  dec: BridgeWeights,
  o: { dy: FloatArray; x: FloatArray; n: number; dIn: number; dOut: number },
): FloatArray {
  const dx = allocLike(o.dy, o.n * o.dIn);
  linearBackward(be, {
    dy: o.dy,
    x: o.x,
    w: dec.w,
    n: o.n,
    dIn: o.dIn,
    dOut: o.dOut,
    dx,
    dw: dec.dw,
    db: dec.db,
  });
  return dx;
}
