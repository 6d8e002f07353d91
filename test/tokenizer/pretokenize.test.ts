import { describe, expect, it } from "vitest";
import { PRETOKEN_PATTERN, REFERENCE_PATTERN, pretokenize } from "../../src/tokenizer/pretokenize.js";

describe("pretokenize (tinypython regex)", () => {
  it("keeps the reference pattern text verbatim", () => {
    expect(REFERENCE_PATTERN).toBe(
      String.raw`[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
    );
  });

  it("splits a line of Python as derived by hand", () => {
    // "(x" : optional non-letter + letters; "):\n" : punctuation run + trailing newline;
    // "   " : whitespace not followed by non-space (the 4th space joins " return"); "]]\n" : punct + newline.
    expect(pretokenize("def f(x):\n    return x[0]]\n")).toEqual([
      "def",
      " f",
      "(x",
      "):\n",
      "   ",
      " return",
      " x",
      "[",
      "0",
      "]]\n",
    ]);
  });

  it("groups digits by at most three", () => {
    expect(pretokenize("12345 x1")).toEqual(["123", "45", " x", "1"]);
  });

  it("makes (\" (' \") ') and ], single pre-tokens, as the paper's tasks rely on", () => {
    expect(pretokenize('f("a")')).toEqual(["f", '("', "a", '")']);
    expect(pretokenize("g('b')")).toEqual(["g", "('", "b", "')"]);
    expect(pretokenize("[[1], [2]]\n")).toEqual(["[[", "1", "],", " [", "2", "]]\n"]);
  });

  it("treats U+0085 as whitespace, like the reference's Rust regex (JavaScript's \\s does not)", () => {
    const text = "a\u0085b  \u0085\n x";
    expect(pretokenize(text)).toEqual(["a", "\u0085b", "  \u0085\n", " x"]);
    // The untranslated pattern splits differently under JavaScript semantics, which is why it is translated.
    expect(text.match(new RegExp(REFERENCE_PATTERN, "gu"))).not.toEqual(pretokenize(text));
    expect(PRETOKEN_PATTERN).not.toContain("\\s");
  });

  it("chunks always concatenate back to the input", () => {
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const alphabet = [
      "a",
      "Z",
      "é",
      "日",
      "7",
      "٣",
      " ",
      "\t",
      "\n",
      "\r",
      "(",
      "'",
      "/",
      "\u00a0",
      "\u3000",
      "😀",
      "\u0085",
    ];
    for (let trial = 0; trial < 200; trial++) {
      let text = "";
      const len = next() % 40;
      for (let i = 0; i < len; i++) text += alphabet[next() % alphabet.length];
      const chunks = pretokenize(text);
      expect(chunks.join("")).toBe(text);
      expect(chunks.every((c) => c.length > 0)).toBe(true);
    }
  });
});
