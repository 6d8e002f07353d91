/**
 * A hand-made data-gym tokenizer for tests: the 256 byte tokens plus three merges
 *   256 "ab" = a + b,   257 "abc" = ab + c,   258 " a" = Ġ + a,   and <|endoftext|> = 259.
 * Byte ids follow the data-gym order written out here from the spec (printable non-space bytes first).
 */
const printable = (b: number): boolean => !(b <= 31 || (b >= 127 && b <= 160) || b === 173) && b !== 32;

export const HAND_VOCAB_BPE = "#version: 0.2\na b\nab c\nĠ a\n";

export function handSingleByteSpellings(): string[] {
  const spellings: string[] = [];
  for (let b = 0; b < 256; b++) if (printable(b)) spellings.push(String.fromCharCode(b));
  let n = 0;
  for (let b = 0; b < 256; b++) if (!printable(b)) spellings.push(String.fromCharCode(256 + n++));
  return spellings;
}

/** encoder.json entries as [spelling, id] pairs, so tests can corrupt them. */
export function handEncoderEntries(): [string, number][] {
  const entries: [string, number][] = handSingleByteSpellings().map((s, id) => [s, id]);
  entries.push(["ab", 256], ["abc", 257], ["Ġa", 258], ["<|endoftext|>", 259]);
  return entries;
}

export function encoderJsonOf(entries: [string, number][]): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(", ")}}`;
}

export const HAND_ENCODER_JSON = encoderJsonOf(handEncoderEntries());

/** Ids of single bytes in data-gym order, worked out by hand: "a".."c" are 97-33.., space is 188 + 32. */
export const ID = {
  a: 64,
  b: 65,
  c: 66,
  x: 87,
  space: 220,
  newline: 198,
  ab: 256,
  abc: 257,
  spaceA: 258,
  eot: 259,
};
