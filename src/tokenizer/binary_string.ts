/**
 * Byte strings as "binary strings" (one UTF-16 unit per byte, 0..255): they are cheap Map keys and
 * `slice` without copying arrays, which is what the BPE inner loops need.
 */

/** Bytes → binary string. */
export function bytesToBinary(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/** Binary string → bytes. */
export function binaryToBytes(binary: string): Uint8Array {
  return new Uint8Array(Buffer.from(binary, "latin1"));
}

/** The UTF-8 bytes of `text` as a binary string. */
export function utf8Binary(text: string): string {
  return Buffer.from(text, "utf8").toString("latin1");
}
