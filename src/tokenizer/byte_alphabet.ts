/**
 * GPT-2's "data-gym" byte alphabet: how `vocab.bpe` and `encoder.json` spell bytes as printable characters,
 * and the rank (= token id) each single byte gets. Port of tiktoken's `data_gym_to_mergeable_bpe_ranks`.
 */

/** Python's `chr(b).isprintable()` for b < 256, as tiktoken relies on it. */
function isPrintableByte(b: number): boolean {
  return !(b <= 31 || (b >= 127 && b <= 160) || b === 173);
}

function buildByteOrder(): number[] {
  const order: number[] = [];
  for (let b = 0; b < 256; b++) if (isPrintableByte(b) && b !== 0x20) order.push(b);
  for (let b = 0; b < 256; b++) if (!(isPrintableByte(b) && b !== 0x20)) order.push(b);
  return order;
}

/** `BYTE_ORDER[rank]` is the byte whose single-byte token has that rank (ids 0..255). */
export const BYTE_ORDER: readonly number[] = buildByteOrder();

/** `BYTE_RANK[byte]` is the id of that byte's single-byte token. */
export const BYTE_RANK: Readonly<Int32Array> = (() => {
  const rank = new Int32Array(256);
  BYTE_ORDER.forEach((b, r) => (rank[b] = r));
  return rank;
})();

/** The character that spells each byte: itself if printable and not space, else chr(256 + n). */
const BYTE_TO_CHAR: readonly string[] = (() => {
  const chars = new Array<string>(256);
  let n = 0;
  for (const b of BYTE_ORDER) {
    const printable = isPrintableByte(b) && b !== 0x20;
    chars[b] = String.fromCharCode(printable ? b : 256 + n++);
  }
  return chars;
})();

const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** Spells bytes in the data-gym alphabet (one character per byte). */
export function bytesToDataGym(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += BYTE_TO_CHAR[b];
  return s;
}

/**
 * Reads a data-gym spelled string back into bytes; `undefined` if a character is outside the alphabet
 * (the caller names the file and line).
 */
export function dataGymToBytes(text: string): Uint8Array | undefined {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const b = CHAR_TO_BYTE.get(text[i]);
    if (b === undefined) return undefined;
    bytes[i] = b;
  }
  return bytes;
}
