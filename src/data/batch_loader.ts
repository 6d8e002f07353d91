import { CspError } from "../errors.js";
import { mulberry32, seededPermutation, uniformInt } from "../random/frozen_mulberry32.js";
import { mixSeed } from "../random/seed.js";
import type { TokenBatch } from "./token_batch.js";

/** Where a {@link BatchLoader} stands; JSON-serialisable, and enough to resume bit-identically. */
export interface BatchLoaderState {
  seed: number;
  seqLen: number;
  /** Length of the shard the state belongs to (checked on resume). */
  shardTokens: number;
  epoch: number;
  /** Windows of this epoch already handed out. */
  index: number;
}

/** Options of {@link BatchLoader}. */
export interface BatchLoaderOptions {
  batchSize: number;
  /** Tokens of context; each row holds seqLen + 1 tokens. */
  seqLen: number;
  /** Seed of the data order (uint32). */
  seed: number;
  /** Resume from a saved state instead of the start. */
  state?: BatchLoaderState;
}

/**
 * Hands out [batchSize, seqLen + 1] windows of a token shard in a seeded order. Each epoch cuts the shard
 * into windows of seqLen + 1 tokens that overlap by one (so every token is a target once per epoch),
 * starting at a per-epoch random shift so the cut points move between epochs, and visits them in a
 * per-epoch random permutation. Everything derives from (seed, epoch), so {@link state} — a few numbers —
 * restores the exact stream.
 */
export class BatchLoader {
  private readonly tokens: Uint16Array;
  private readonly batchSize: number;
  private readonly seqLen: number;
  private readonly seed: number;
  private epoch: number;
  private index: number;
  private epochShift = 0;
  private epochOrder: Uint32Array = new Uint32Array(0);

  constructor(tokens: Uint16Array, options: BatchLoaderOptions) {
    const { batchSize, seqLen, seed } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new CspError(`batch size ${batchSize} must be >= 1`);
    if (!Number.isInteger(seqLen) || seqLen < 1) throw new CspError(`sequence length ${seqLen} must be >= 1`);
    if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32)
      throw new CspError(`seed ${seed} must be an integer in 0..2^32-1`);
    if (tokens.length < seqLen + 1)
      throw new CspError(`token shard has ${tokens.length} tokens, fewer than one window of ${seqLen + 1}`);
    this.tokens = tokens;
    this.batchSize = batchSize;
    this.seqLen = seqLen;
    this.seed = seed;
    const state = options.state;
    if (state !== undefined) {
      if (state.seqLen !== seqLen || state.shardTokens !== tokens.length || state.seed !== seed)
        throw new CspError(
          `data loader state (seed ${state.seed}, seqLen ${state.seqLen}, shard ${state.shardTokens} tokens) ` +
            `does not match this run (seed ${seed}, seqLen ${seqLen}, shard ${tokens.length} tokens)`,
        );
    }
    this.epoch = state?.epoch ?? 0;
    this.index = state?.index ?? 0;
    this.startEpoch();
    if (this.index > this.epochOrder.length)
      throw new CspError(
        `data loader state index ${this.index} exceeds the ${this.epochOrder.length} windows of epoch`,
      );
  }

  /** Windows per epoch vary by one or so with the shift; this is the current epoch's count. */
  get windowsThisEpoch(): number {
    return this.epochOrder.length;
  }

  /** The position after the last batch handed out. */
  state(): BatchLoaderState {
    return {
      seed: this.seed,
      seqLen: this.seqLen,
      shardTokens: this.tokens.length,
      epoch: this.epoch,
      index: this.index,
    };
  }

  /** The next batch; epochs roll over inside a batch when needed. */
  next(): TokenBatch {
    const width = this.seqLen + 1;
    const out = new Int32Array(this.batchSize * width);
    for (let row = 0; row < this.batchSize; row++) {
      if (this.index >= this.epochOrder.length) {
        this.epoch++;
        this.index = 0;
        this.startEpoch();
      }
      const start = this.epochShift + this.epochOrder[this.index++] * this.seqLen;
      for (let j = 0; j < width; j++) out[row * width + j] = this.tokens[start + j];
    }
    return { rows: this.batchSize, width, tokens: out };
  }

  private startEpoch(): void {
    const n = this.tokens.length;
    // The shift is at most seqLen - 1 and never so large that no window fits.
    const maxShift = Math.min(this.seqLen - 1, n - 1 - this.seqLen);
    this.epochShift = uniformInt(mulberry32(mixSeed(this.seed, this.epoch, 1)), maxShift + 1);
    const windows = Math.floor((n - 1 - this.epochShift) / this.seqLen);
    this.epochOrder = seededPermutation(windows, mixSeed(this.seed, this.epoch, 2));
  }
}
