import { describe, expect, it } from "vitest";
import { bytePairEncode } from "../../src/tokenizer/byte_pair_encode.js";
import { BYTE_RANK } from "../../src/tokenizer/byte_alphabet.js";

/** Ranks: every byte at its data-gym rank plus the given multi-byte tokens (binary strings) from 256 on. */
function ranksWith(...tokens: string[]): Map<string, number> {
  const ranks = new Map<string, number>();
  for (let b = 0; b < 256; b++) ranks.set(String.fromCharCode(b), BYTE_RANK[b]);
  tokens.forEach((t, i) => ranks.set(t, 256 + i));
  return ranks;
}
const r = (ch: string) => BYTE_RANK[ch.charCodeAt(0)];

describe("bytePairEncode", () => {
  it("returns a whole-piece token directly even when merging could not reach it", () => {
    const ranks = ranksWith("abc");
    expect(bytePairEncode("abc", ranks)).toEqual([256]);
    expect(bytePairEncode("xabc", ranks)).toEqual([r("x"), r("a"), r("b"), r("c")]);
  });

  it("merges the lowest rank first, leftmost among equals", () => {
    // "bc"(256) before "ab"(257): a|bc|d, then "abc"? not a token; "bcd"(258) → a|bcd.
    expect(bytePairEncode("abcd", ranksWith("bc", "ab", "bcd"))).toEqual([r("a"), 258]);
    // "aaa" with "aa": leftmost pair merges, leaving aa|a.
    expect(bytePairEncode("aaa", ranksWith("aa"))).toEqual([256, r("a")]);
  });

  it("re-ranks a pair whose right part grew (stale heap entries must not merge)", () => {
    // bc(256) first: a|bc|d. Now (a,bc) = "abc"(259) and (bc,d) = "bcd"(258): bcd wins → a|bcd.
    // The old (a,b) entry of rank 257 is stale and must not trigger the a+bc merge early.
    const ranks = ranksWith("bc", "ab", "bcd", "abc");
    expect(bytePairEncode("abcd", ranks)).toEqual([r("a"), 258]);
    const long = "abcd".repeat(33); // 132 bytes: heap path
    expect(bytePairEncode(long, ranks)).toEqual(new Array(33).fill([r("a"), 258]).flat());
  });

  it("gives the same result on long pieces (heap path) as the simple loop would, checked by hand", () => {
    // 300 "a": pairs merge leftmost → 150 "aa"; then "aaaa" → 75 tokens; those pair into "aaaaaaaa" → 37 + one "aaaa".
    const ranks = ranksWith("aa", "aaaa", "aaaaaaaa");
    const ids = bytePairEncode("a".repeat(300), ranks);
    expect(ids).toEqual([...new Array(37).fill(258), 257]);
    // 129 "a" (just over the heap threshold): 64 "aa" + "a" → 32 "aaaa" + "a" → 16 "aaaaaaaa" + "a".
    expect(bytePairEncode("a".repeat(129), ranks)).toEqual([...new Array(16).fill(258), r("a")]);
    // And just under it, through the quadratic loop: 127 "a" → 15 × 8 + "aaaa" + "aa" + "a".
    expect(bytePairEncode("a".repeat(127), ranks)).toEqual([...new Array(15).fill(258), 257, 256, r("a")]);
  });
});
