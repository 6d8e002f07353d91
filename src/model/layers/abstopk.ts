import type { Backend } from "../../backend/backend.js";
import { getBackend } from "../../backend/index.js";
import type { FloatArray } from "../../tensor/tensor.js";

/**
 * The AbsTopK backward: dx = dy where the forward (Backend.absTopK) kept the entry, 0 elsewhere, in
 * place on dy, on the backend.
 */
export function absTopKBackward(
  dy: FloatArray,
  kept: Uint8Array,
  size: number,
  be: Backend = getBackend(),
): void {
  be.maskByKept(dy, kept, size);
}
