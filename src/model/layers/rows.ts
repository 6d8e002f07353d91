import type { FloatArray } from "../../tensor/tensor.js";

// Row-wise data movement of the forward/backward passes: residual adds, table rows gathered into
// logits or scattered into embedding gradients, column blocks of fused projections. The TypeScript
// oracle of the native rows kernels (src/native/rows.cc).

/** out = a + b over `size` entries (out may be a or b). */
export function addInto(a: FloatArray, b: FloatArray, out: FloatArray, size: number): void {
  for (let i = 0; i < size; i++) out[i] = a[i] + b[i];
}

/** out[r, :] += table[ids[r], :] for rows of `width` (the bigram table's logits). */
export function addGatheredRows(table: FloatArray, ids: Int32Array, width: number, out: FloatArray): void {
  for (let r = 0; r < ids.length; r++) {
    const src = ids[r] * width;
    const dst = r * width;
    for (let j = 0; j < width; j++) out[dst + j] += table[src + j];
  }
}

/** table[ids[r], :] += src[r, :] in row order, skipping rows whose id is skipId (embedding gradients). */
export function scatterAddRows(
  src: FloatArray,
  ids: Int32Array,
  width: number,
  table: FloatArray,
  skipId = -1,
): void {
  for (let r = 0; r < ids.length; r++) {
    if (ids[r] === skipId) continue;
    const dst = ids[r] * width;
    const from = r * width;
    for (let j = 0; j < width; j++) table[dst + j] += src[from + j];
  }
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

export function copyBlock(o: BlockCopy): void {
  for (let r = 0; r < o.rows; r++) {
    const from = r * o.srcStride + o.srcOffset;
    o.dst.set(o.src.subarray(from, from + o.width), r * o.dstStride + o.dstOffset);
  }
}
