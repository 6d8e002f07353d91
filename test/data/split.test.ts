import { describe, expect, it } from "vitest";
import { CspError } from "../../src/errors.js";
import { splitTrainVal } from "../../src/data/split.js";
import { fnv1a32 } from "../../src/random/seed.js";

describe("splitTrainVal", () => {
  const paths = Array.from({ length: 5000 }, (_, i) => `pkg${i % 37}/module_${i}.py`);

  it("holds out about the requested fraction, by hash threshold", () => {
    const split = splitTrainVal(paths, 0.02);
    expect(split.train.length + split.val.length).toBe(paths.length);
    expect(split.val.length).toBeGreaterThan(60); // expected 100, sd ~10
    expect(split.val.length).toBeLessThan(140);
    for (const i of split.val) expect(fnv1a32(paths[i]) / 2 ** 32).toBeLessThan(0.02);
    for (const i of split.train) expect(fnv1a32(paths[i]) / 2 ** 32).toBeGreaterThanOrEqual(0.02);
  });

  it("keeps each file's side when other files come and go", () => {
    const full = splitTrainVal(paths, 0.1);
    const valSet = new Set(full.val.map((i) => paths[i]));
    const half = paths.filter((_, i) => i % 2 === 0);
    const part = splitTrainVal(half, 0.1);
    for (const i of part.val) expect(valSet.has(half[i])).toBe(true);
    for (const i of part.train) expect(valSet.has(half[i])).toBe(false);
  });

  it("always gives both sides at least one file", () => {
    const two = ["a.py", "b.py"];
    const split = splitTrainVal(two, 0.02);
    expect(split.val.length).toBe(1);
    expect(split.train.length).toBe(1);
    // The held-out one is the smaller hash.
    const smaller = fnv1a32("a.py") < fnv1a32("b.py") ? 0 : 1;
    expect(split.val).toEqual([smaller]);
  });

  it("rejects fewer than two files and fractions outside (0, 0.5]", () => {
    expect(() => splitTrainVal(["a.py"])).toThrow(CspError);
    expect(() => splitTrainVal(paths, 0)).toThrow(CspError);
    expect(() => splitTrainVal(paths, 0.9)).toThrow(CspError);
  });
});
