import { describe, expect, test } from "vitest";
import { kthLargest } from "../../../src/backend/ts/train_topk.js";
import { Rng } from "../../../src/random/rng.js";

describe("kthLargest", () => {
  test("agrees with sorting, with and without duplicates", () => {
    const rng = new Rng(1);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + rng.int(300);
      const a = Float64Array.from({ length: n }, () => (trial % 2 ? rng.int(5) : rng.normal()));
      const sorted = Float64Array.from(a).sort().reverse();
      const k = 1 + rng.int(n);
      expect(kthLargest(Float64Array.from(a), k)).toBe(sorted[k - 1]);
    }
  });

  test("handles an all-equal array and a sorted one (worst cases of naive pivots)", () => {
    expect(kthLargest(new Float64Array(10_000).fill(2), 5000)).toBe(2);
    const asc = Float64Array.from({ length: 20_000 }, (_, i) => i);
    expect(kthLargest(asc, 1)).toBe(19_999);
    expect(
      kthLargest(
        Float64Array.from({ length: 20_000 }, (_, i) => i),
        20_000,
      ),
    ).toBe(0);
  });

  test("refuses k outside [1, n]", () => {
    expect(() => kthLargest(new Float64Array(3), 0)).toThrow();
    expect(() => kthLargest(new Float64Array(3), 4)).toThrow();
  });
});
