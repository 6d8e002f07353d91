import { describe, expect, it } from "vitest";
import { mixSeed, mulberry32, seededPermutation, uniformInt } from "../../src/random/seeded_random.js";

describe("seeded randomness", () => {
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

  it("mixSeed separates nearby coordinates", () => {
    const values = new Set<number>();
    for (let a = 0; a < 30; a++) for (let b = 0; b < 30; b++) values.add(mixSeed(1, a, b));
    expect(values.size).toBe(900);
    expect(mixSeed(1, 2, 3)).toBe(mixSeed(1, 2, 3));
  });
});
