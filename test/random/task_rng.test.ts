import { describe, expect, it } from "vitest";
import { TaskRng } from "../../src/random/task_rng.js";

describe("TaskRng", () => {
  it("int(lo, hi) covers both ends and nothing outside", () => {
    const rng = new TaskRng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(rng.int(-2, 3));
    expect([...seen].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2, 3]);
  });

  it("chance(p) comes up about p of the time", () => {
    const rng = new TaskRng(2);
    let hits = 0;
    for (let i = 0; i < 20_000; i++) if (rng.chance(0.3)) hits++;
    expect(Math.abs(hits / 20_000 - 0.3)).toBeLessThan(0.02); // ~6 sd
  });

  it("sample(k) draws k distinct items; pick and sample refuse impossible requests", () => {
    const rng = new TaskRng(3);
    const items = ["a", "b", "c", "d", "e"];
    const drawn = rng.sample(items, 3);
    expect(new Set(drawn).size).toBe(3);
    for (const x of drawn) expect(items).toContain(x);
    expect(() => rng.sample(items, 6)).toThrow(/6 of 5/);
    expect(() => rng.pick([])).toThrow(/empty/);
  });

  it("same seed, same draws", () => {
    const draws = (seed: number) => {
      const rng = new TaskRng(seed);
      return Array.from({ length: 20 }, () => [rng.int(0, 99), rng.pick(["x", "y"]), rng.chance(0.5)]);
    };
    expect(draws(9)).toEqual(draws(9));
    expect(draws(9)).not.toEqual(draws(10));
  });
});
