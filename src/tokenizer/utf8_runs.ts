/** A stretch of a byte string: well-formed UTF-8 text or bytes that are not. */
export interface Utf8Run {
  valid: boolean;
  start: number;
  end: number;
}

/** Length of the well-formed UTF-8 sequence starting at `i` (RFC 3629), or 0 if there is none. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i];
  if (b0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean =>
    i + k < bytes.length && bytes[i + k] >= lo && bytes[i + k] <= hi;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    // E0 needs A0.. (no overlongs); ED needs ..9F (no surrogates).
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** Splits bytes into maximal runs of well-formed UTF-8 and of bytes outside any well-formed sequence. */
export function utf8Runs(bytes: Uint8Array): Utf8Run[] {
  const runs: Utf8Run[] = [];
  let i = 0;
  while (i < bytes.length) {
    const len = sequenceLength(bytes, i);
    const valid = len > 0;
    const step = valid ? len : 1;
    const last = runs[runs.length - 1];
    if (last && last.valid === valid) last.end = i + step;
    else runs.push({ valid, start: i, end: i + step });
    i += step;
  }
  return runs;
}
