import { CspError } from "../errors.js";
import type { TokenBatch } from "./token_batch.js";

/** Options of {@link validationBatches}. */
export interface ValidationOptions {
  batchSize: number;
  seqLen: number;
  /** Use at most this many windows, evenly spread over the shard (default: all). */
  maxWindows?: number;
}

/**
 * Fixed validation windows: the shard cut into windows of seqLen + 1 tokens overlapping by one, starting at
 * 0 (optionally thinned to `maxWindows` evenly spaced ones), yielded in order in batches of up to
 * batchSize rows. No randomness: every evaluation sees exactly the same tokens.
 */
export function* validationBatches(tokens: Uint16Array, options: ValidationOptions): Generator<TokenBatch> {
  const { batchSize, seqLen } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new CspError(`batch size ${batchSize} must be >= 1`);
  if (!Number.isInteger(seqLen) || seqLen < 1) throw new CspError(`sequence length ${seqLen} must be >= 1`);
  const total = Math.floor((tokens.length - 1) / seqLen);
  if (total < 1)
    throw new CspError(
      `validation shard has ${tokens.length} tokens, fewer than one window of ${seqLen + 1}`,
    );
  const count = Math.min(total, options.maxWindows ?? total);
  if (!Number.isInteger(count) || count < 1)
    throw new CspError(`maxWindows ${options.maxWindows} must be >= 1`);
  const width = seqLen + 1;
  for (let first = 0; first < count; first += batchSize) {
    const rows = Math.min(batchSize, count - first);
    const out = new Int32Array(rows * width);
    for (let row = 0; row < rows; row++) {
      const window = Math.floor(((first + row) * total) / count);
      out.set(tokens.subarray(window * seqLen, window * seqLen + width), row * width);
    }
    yield { rows, width, tokens: out };
  }
}
