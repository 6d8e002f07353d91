import type { ChunkCounts } from "./chunk_counts.js";
import type { Tokenizer } from "./tokenizer.js";

/** Size of a corpus in UTF-8 bytes and in tokens. */
export interface CompressionStats {
  bytes: number;
  tokens: number;
  /** bytes / tokens: how many bytes one token covers on average. */
  bytesPerToken: number;
}

/**
 * Measures a tokenizer on a corpus given by its chunk counts: each distinct chunk is encoded once, which
 * gives the same totals as encoding the whole corpus because encoding works chunk by chunk.
 */
export function measureCompression(tokenizer: Tokenizer, counts: ChunkCounts): CompressionStats {
  let bytes = 0;
  let tokens = 0;
  for (const [chunk, count] of counts) {
    bytes += count * Buffer.byteLength(chunk, "utf8");
    tokens += count * tokenizer.encodeChunk(chunk).length;
  }
  return { bytes, tokens, bytesPerToken: tokens === 0 ? 0 : bytes / tokens };
}
