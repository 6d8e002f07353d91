import { readFileSync } from "node:fs";
import { endianness } from "node:os";
import { CspError, fileError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic.js";

const HOST_IS_LITTLE_ENDIAN = endianness() === "LE";

/** The bytes of token ids as little-endian uint16 (the shard format, independent of the host). */
export function shardBytes(ids: Uint16Array): Uint8Array {
  const bytes = new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength);
  if (HOST_IS_LITTLE_ENDIAN) return bytes;
  const swapped = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 2) {
    swapped[i] = bytes[i + 1];
    swapped[i + 1] = bytes[i];
  }
  return swapped;
}

/** Writes token id chunks, concatenated, as one shard (raw little-endian uint16), atomically. */
export function writeShard(path: string, chunks: readonly Uint16Array[]): void {
  writeFileAtomic(path, chunks.map(shardBytes));
}

/**
 * Reads a shard of raw little-endian uint16 token ids. With `vocabSize`, every id is checked to be below
 * it, so a shard built with another tokenizer is caught here rather than as garbage during training.
 */
export function readShard(path: string, vocabSize?: number): Uint16Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new CspError(`${path}: cannot read token shard (${(e as Error).message.split("\n")[0]})`);
  }
  if (bytes.length % 2 !== 0) throw fileError(path, `token shard has an odd byte length ${bytes.length}`);
  const ids = new Uint16Array(bytes.length / 2);
  for (let i = 0; i < ids.length; i++) ids[i] = bytes[2 * i] | (bytes[2 * i + 1] << 8);
  if (vocabSize !== undefined) {
    for (let i = 0; i < ids.length; i++)
      if (ids[i] >= vocabSize)
        throw fileError(
          path,
          `token ${ids[i]} at position ${i} is outside the vocabulary (size ${vocabSize})`,
        );
  }
  return ids;
}
