import { describe, expect, it } from "vitest";
import { unigramEntropy } from "../../src/data/unigram_entropy.js";

describe("unigramEntropy", () => {
  it("gives nats per token of the token frequencies", () => {
    expect(unigramEntropy(Uint16Array.of(5, 5, 5))).toBe(0);
    expect(unigramEntropy(Uint16Array.of(0, 0, 1, 1))).toBeCloseTo(Math.log(2), 12);
    expect(unigramEntropy(Uint16Array.of(3, 1, 2, 0))).toBeCloseTo(Math.log(4), 12);
    // p = 3/4, 1/4: -(0.75 ln 0.75 + 0.25 ln 0.25) = 0.5623351446...
    expect(unigramEntropy(Uint16Array.of(7, 7, 7, 2000))).toBeCloseTo(0.5623351446188083, 12);
    expect(unigramEntropy(new Uint16Array(0))).toBe(0);
  });
});
