import { describe, expect, it } from "vitest";
import { CspError } from "../../src/errors.js";
import { trainBpe, type TrainBpeProgress } from "../../src/tokenizer/train_bpe.js";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const mergesOf = (counts: [string, number][], vocabSize: number) =>
  trainBpe(new Map(counts), { vocabSize }).merges.map((m) => [text(m.first), text(m.second)]);

describe("trainBpe", () => {
  it("merges as worked out by hand, updating pair counts incrementally", () => {
    // Pairs: ab = 3*2 + 2 = 8, bc = 2 + 4 = 6, ba = 3. After ab: (ab,ab) = 3, (ab,c) = 2, bc = 4.
    const counts: [string, number][] = [
      ["abab", 3],
      ["abc", 2],
      ["bc", 4],
    ];
    expect(mergesOf(counts, 261)).toEqual([
      ["a", "b"],
      ["b", "c"],
      ["ab", "ab"],
      ["ab", "c"],
    ]);
    const tok = trainBpe(new Map(counts), { vocabSize: 261 });
    expect(tok.encode("abcabc")).toEqual([259, 259]);
    expect(tok.eotId).toBe(260);
  });

  it("breaks count ties by the smaller pair of ids, whatever the input order", () => {
    // "a"=64, "b"=65, "x"=87, "y"=88 in data-gym order: (a,b) < (x,y).
    expect(
      mergesOf(
        [
          ["xy", 1],
          ["ab", 1],
        ],
        259,
      ),
    ).toEqual([
      ["a", "b"],
      ["x", "y"],
    ]);
    expect(
      mergesOf(
        [
          ["ab", 1],
          ["xy", 1],
        ],
        259,
      ),
    ).toEqual([
      ["a", "b"],
      ["x", "y"],
    ]);
    expect(
      mergesOf(
        [
          ["xy", 2],
          ["ab", 1],
        ],
        259,
      ),
    ).toEqual([
      ["x", "y"],
      ["a", "b"],
    ]);
  });

  it("counts pre-token chunks of texts (merges never cross chunk boundaries)", () => {
    // Chunks: "ab", " ab", " ab": the pair (b, space) never exists, (a,b) = 3, (space,a) = 2.
    expect(
      trainBpe(["ab ab ab"], { vocabSize: 259 }).merges.map((m) => [text(m.first), text(m.second)]),
    ).toEqual([
      ["a", "b"],
      [" ", "ab"],
    ]);
  });

  it("reports progress once per merge", () => {
    const seen: TrainBpeProgress[] = [];
    trainBpe(new Map([["abcd", 1]]), { vocabSize: 260, onProgress: (p) => seen.push(p) });
    expect(seen).toEqual([
      { merges: 1, totalMerges: 3 },
      { merges: 2, totalMerges: 3 },
      { merges: 3, totalMerges: 3 },
    ]);
  });

  it("rejects impossible vocab sizes and corpora too small for them", () => {
    expect(() => trainBpe(new Map([["ab", 1]]), { vocabSize: 256 })).toThrow(CspError);
    expect(() => trainBpe(new Map([["ab", 1]]), { vocabSize: 70000 })).toThrow(CspError);
    expect(() => trainBpe(new Map([["ab", 1]]), { vocabSize: 259 })).toThrow(/only 1 merges possible/);
    expect(trainBpe(new Map([["ab", 1]]), { vocabSize: 257 }).vocabSize).toBe(257);
  });

  it("is deterministic", () => {
    const texts = ["import os\nimport sys\n", "def main():\n    os.exit(sys.argv)\n", "x = [1, 2, 3]\n"];
    const a = trainBpe(texts, { vocabSize: 285 });
    const b = trainBpe([...texts].reverse(), { vocabSize: 285 });
    expect(b.merges).toEqual(a.merges);
  });
});
