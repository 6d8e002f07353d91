import type { Backend } from "../../backend/backend.js";
import { getBackend } from "../../backend/index.js";
import type { FloatArray } from "../../tensor/tensor.js";
import { TorchTopK } from "./nth_element.js";

/**
 * AbsTopK over the last dimension: in each row of x [N, D] keep the k entries of largest |x| (with their
 * sign), zero the rest, in place. `kept` [N·D] records the selection for the backward. The selection,
 * ties included, is PyTorch's (see TorchTopK): a row with fewer than k nonzeros keeps some zeros, and
 * which ones decides where gradient flows.
 */
export function absTopKForward(x: FloatArray, n: number, d: number, k: number, kept: Uint8Array): void {
  if (k >= d) {
    kept.fill(1, 0, n * d);
    return;
  }
  const selector = new TorchTopK(d);
  const abs = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let j = 0; j < d; j++) abs[j] = Math.abs(x[row + j]);
    selector.select(abs, d, k, kept, row);
    for (let j = 0; j < d; j++) if (!kept[row + j]) x[row + j] = 0;
  }
}

/** dx = dy where kept, 0 elsewhere (in place on dy), on the backend. */
export function absTopKBackward(
  dy: FloatArray,
  kept: Uint8Array,
  size: number,
  be: Backend = getBackend(),
): void {
  be.maskByKept(dy, kept, size);
}

/** The TypeScript oracle of Backend.maskByKept: dy[i] = 0 where kept[i] = 0. */
export function maskByKeptTs(dy: FloatArray, kept: Uint8Array, size: number): void {
  for (let i = 0; i < size; i++) if (!kept[i]) dy[i] = 0;
}
