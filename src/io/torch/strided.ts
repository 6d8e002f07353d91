/**
 * Strided views, as torch describes tensors: element (i0, i1, ...) of the view lives at storage index
 * offset + Σ i_d·stride_d. Everything here counts elements, not bytes.
 */

export interface StridedView {
  offset: number;
  shape: readonly number[];
  stride: readonly number[];
}

/** Number of elements of the view. */
export function viewSize(v: StridedView): number {
  let n = 1;
  for (const d of v.shape) n *= d;
  return n;
}

/**
 * The storage elements the view touches: [first, first + count). Empty views touch nothing. torch
 * strides are never negative, so the first element is at the offset.
 */
export function viewSpan(v: StridedView): { first: number; count: number } {
  if (viewSize(v) === 0) return { first: v.offset, count: 0 };
  let last = v.offset;
  for (let d = 0; d < v.shape.length; d++) last += (v.shape[d] - 1) * v.stride[d];
  return { first: v.offset, count: last - v.offset + 1 };
}

/** True when the view is row-major contiguous (dimensions of size 1 may have any stride). */
export function isContiguous(v: StridedView): boolean {
  let expected = 1;
  for (let d = v.shape.length - 1; d >= 0; d--) {
    if (v.shape[d] === 1) continue;
    if (v.stride[d] !== expected) return false;
    expected *= v.shape[d];
  }
  return true;
}

/**
 * Copies the view into `out` in row-major order, converting each element with `convert`. `src[0]` is
 * storage element `srcFirst` (the caller read only the span the view touches).
 */
export function gatherView<S, T>(
  src: ArrayLike<S>,
  srcFirst: number,
  v: StridedView,
  out: { [i: number]: T; length: number },
  convert: (x: S) => T,
): void {
  const n = viewSize(v);
  if (n === 0) return;
  const rank = v.shape.length;
  if (rank === 0) {
    out[0] = convert(src[v.offset - srcFirst]);
    return;
  }
  // Walk the outer dimensions with an odometer; the innermost dimension is a strided run.
  const inner = v.shape[rank - 1];
  const innerStride = v.stride[rank - 1];
  const index = new Array<number>(rank - 1).fill(0);
  let base = v.offset - srcFirst;
  for (let o = 0; o < n; o += inner) {
    for (let i = 0, s = base; i < inner; i++, s += innerStride) out[o + i] = convert(src[s]);
    for (let d = rank - 2; d >= 0; d--) {
      index[d]++;
      base += v.stride[d];
      if (index[d] < v.shape[d]) break;
      base -= index[d] * v.stride[d];
      index[d] = 0;
    }
  }
}
