import { describe, expect, test } from "vitest";
import { gatherView, isContiguous, viewSpan } from "../../../src/io/torch/strided.js";

// Storage 0..23 as a [4, 6] row-major matrix: element (r, c) = 6r + c.
const storage = Array.from({ length: 24 }, (_, i) => i);
const gather = (offset: number, shape: number[], stride: number[], first = 0) => {
  const v = { offset, shape, stride };
  const out = new Array<number>(shape.reduce((a, b) => a * b, 1));
  gatherView(storage.slice(first), first, v, out, (x) => x);
  return out;
};

describe("strided views", () => {
  test("transpose of [4, 6] reads columns", () => {
    expect(gather(0, [6, 4], [1, 6]).slice(0, 8)).toEqual([0, 6, 12, 18, 1, 7, 13, 19]);
  });

  test("slice [1:3, 2:5] with an offset, read from a span that starts at the offset", () => {
    expect(gather(8, [2, 3], [6, 1], 8)).toEqual([8, 9, 10, 14, 15, 16]);
  });

  test("expanded (stride 0), 3-D permutation and 0-d tensors", () => {
    expect(gather(1, [3, 2], [6, 0])).toEqual([1, 1, 7, 7, 13, 13]);
    // [2, 3, 4] contiguous (strides 12, 4, 1) permuted to dims (2, 0, 1): shape [4, 2, 3], strides [1, 12, 4].
    expect(gather(0, [4, 2, 3], [1, 12, 4]).slice(0, 7)).toEqual([0, 4, 8, 12, 16, 20, 1]);
    expect(gather(5, [], [])).toEqual([5]);
  });

  test("span and contiguity", () => {
    expect(viewSpan({ offset: 8, shape: [2, 3], stride: [6, 1] })).toEqual({ first: 8, count: 9 });
    expect(viewSpan({ offset: 3, shape: [0, 5], stride: [5, 1] })).toEqual({ first: 3, count: 0 });
    expect(isContiguous({ offset: 0, shape: [4, 6], stride: [6, 1] })).toBe(true);
    expect(isContiguous({ offset: 0, shape: [1, 6], stride: [99, 1] })).toBe(true);
    expect(isContiguous({ offset: 0, shape: [6, 4], stride: [1, 6] })).toBe(false);
    expect(isContiguous({ offset: 0, shape: [4, 3], stride: [6, 2] })).toBe(false);
  });
});
