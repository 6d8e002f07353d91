import { describe, expect, it } from "vitest";
import {
  mulberry32,
  mulberry32Unit,
  seededPermutation,
  uniformInt,
} from "../../src/random/frozen_mulberry32.js";
import { mixSeed } from "../../src/random/seed.js";

// Golden values from an independent Python implementation of mulberry32: the zoo's data order and the
// simple corpus are drawn from this stream, so it must not change.
describe("mulberry32 (frozen)", () => {
  it("gives the pinned stream", () => {
    const next = mulberry32(123);
    expect(Array.from({ length: 5 }, next)).toEqual([
      3381219976, 766838775, 2127363934, 993692063, 1614012641,
    ]);
    const unit = mulberry32Unit(0);
    expect(Array.from({ length: 3 }, unit)).toEqual([1144304738, 1416247, 958946056].map((x) => x / 2 ** 32));
  });

  it("gives the pinned data-order draws (an epoch's shift and window permutation)", () => {
    expect(uniformInt(mulberry32(mixSeed(42, 0, 1)), 16)).toBe(4);
    expect([...seededPermutation(10, mixSeed(42, 0, 2))]).toEqual([6, 4, 2, 5, 1, 7, 9, 3, 0, 8]);
  });

  it("permutations are permutations, reproducible, and seed-dependent", () => {
    const p = seededPermutation(1000, 7);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(seededPermutation(1000, 7)).toEqual(p);
    expect(seededPermutation(1000, 8)).not.toEqual(p);
    expect([...seededPermutation(0, 1)]).toEqual([]);
  });

  it("uniformInt stays in range and is roughly uniform", () => {
    const next = mulberry32(123);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60000; i++) counts[uniformInt(next, 6)]++;
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(500); // ~5 sd
    expect(() => uniformInt(next, 0)).toThrow(RangeError);
  });
});
