import { describe, expect, it } from "vitest";
import { fnv1a32, mixSeed, taskLabelSeed } from "../../src/random/seed.js";

// Golden values from an independent Python implementation of the same hashes (murmur3 word step and
// finaliser; FNV-1a): circuits, data order and task files depend on these exact numbers.
describe("mixSeed", () => {
  it("gives the pinned values", () => {
    expect(mixSeed(1, 2, 3)).toBe(3906383291);
    expect(mixSeed()).toBe(2462723854);
    expect(mixSeed(-1)).toBe(1806627073);
    expect(mixSeed(42, 0, 2)).toBe(2343576171);
  });

  it("reads each coordinate as a 32-bit word", () => {
    expect(mixSeed(2 ** 32 + 5, 7)).toBe(3848907628);
    expect(mixSeed(2 ** 32 + 5, 7)).toBe(mixSeed(5, 7));
  });

  it("separates nearby coordinates", () => {
    const values = new Set<number>();
    for (let a = 0; a < 30; a++) for (let b = 0; b < 30; b++) values.add(mixSeed(1, a, b));
    expect(values.size).toBe(900);
  });
});

describe("fnv1a32", () => {
  it("matches the published FNV-1a test vectors", () => {
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(fnv1a32("foobar")).toBe(0xbf9cf968);
  });
});

describe("taskLabelSeed (frozen: the task files' seeds)", () => {
  it("is FNV-1a of `seed:label`, with the pinned values", () => {
    expect(taskLabelSeed(0, "var_if")).toBe(1242650250);
    expect(taskLabelSeed(-3, "indent_for/target-trial/1")).toBe(3553553572);
  });
});
