import { CspError } from "../errors.js";
import { binaryToBytes, utf8Binary } from "./binary_string.js";
import { BYTE_ORDER, BYTE_RANK } from "./byte_alphabet.js";
import { countChunks, type ChunkCounts } from "./chunk_counts.js";
import { Tokenizer, type BpeMerge } from "./tokenizer.js";
import { TwoKeyHeap } from "./two_key_heap.js";

/** Progress of {@link trainBpe}, reported after each merge. */
export interface TrainBpeProgress {
  merges: number;
  totalMerges: number;
}

/** Options of {@link trainBpe}. */
export interface TrainBpeOptions {
  /** Total ids: 256 bytes + merges + `<|endoftext|>`. Default 2048 (tinypython_2k). */
  vocabSize?: number;
  onProgress?: (progress: TrainBpeProgress) => void;
}

export const DEFAULT_VOCAB_SIZE = 2048;
/** uint16 shards hold ids up to 65535. */
export const MAX_VOCAB_SIZE = 65536;
const MIN_VOCAB_SIZE = 257;

/** Throws a CspError unless `vocabSize` is a trainable size (257..65536). */
export function checkVocabSize(vocabSize: number): void {
  if (!Number.isInteger(vocabSize) || vocabSize < MIN_VOCAB_SIZE || vocabSize > MAX_VOCAB_SIZE)
    throw new CspError(`vocab size ${vocabSize} must be an integer in ${MIN_VOCAB_SIZE}..${MAX_VOCAB_SIZE}`);
}

/** Pairs of ids < 65536 packed into one number; smaller key = smaller (left, right), the tie-break order. */
const pairKey = (left: number, right: number): number => left * 65536 + right;

/**
 * Trains byte-level BPE on pre-token chunks (tinypython regex) of `input`, given as texts or as chunk
 * counts. Each step merges the most frequent adjacent pair, ties going to the smallest (left id, right id),
 * so the result depends only on the counts. Pair counts are updated incrementally: only the words that
 * contain the merged pair are rescanned, and a lazy max-heap finds the next best pair.
 *
 * A pair whose bytes equal an existing token (e.g. "a"+"bc" after "ab"+"c") is merged in the words, as
 * tiktoken's encoder would merge it, but adds no id: the data-gym format cannot hold a token twice.
 */
export function trainBpe(input: Iterable<string> | ChunkCounts, options: TrainBpeOptions = {}): Tokenizer {
  const vocabSize = options.vocabSize ?? DEFAULT_VOCAB_SIZE;
  checkVocabSize(vocabSize);
  const counts = input instanceof Map ? input : countChunks(input);
  const totalMerges = vocabSize - MIN_VOCAB_SIZE;
  const state = new MergeState(counts);
  const tokenBinary: string[] = BYTE_ORDER.map((b) => String.fromCharCode(b));
  const idOfBinary = new Map(tokenBinary.map((t, id) => [t, id]));
  const merges: BpeMerge[] = [];
  while (merges.length < totalMerges) {
    const best = state.popBestPair();
    if (best === undefined)
      throw new CspError(
        `corpus too small: only ${merges.length} merges possible, vocab size ${vocabSize} needs ${totalMerges}`,
      );
    const [left, right] = best;
    const binary = tokenBinary[left] + tokenBinary[right];
    let id = idOfBinary.get(binary);
    if (id === undefined) {
      id = tokenBinary.length;
      tokenBinary.push(binary);
      idOfBinary.set(binary, id);
      merges.push({ first: binaryToBytes(tokenBinary[left]), second: binaryToBytes(tokenBinary[right]) });
      options.onProgress?.({ merges: merges.length, totalMerges });
    }
    state.merge(left, right, id);
  }
  return Tokenizer.fromMerges(merges);
}

/** Words (distinct chunks as id sequences), their counts, and the pair statistics kept up to date. */
class MergeState {
  private readonly words: Int32Array[] = [];
  private readonly wordCounts: number[] = [];
  private readonly pairCounts = new Map<number, number>();
  /** Indices of the words containing each pair. */
  private readonly pairWords = new Map<number, Set<number>>();
  /** (-count, pair key): the top is the most frequent pair, smallest key first among equals. */
  private readonly heap = new TwoKeyHeap(1 << 16);

  constructor(counts: ChunkCounts) {
    for (const [chunk, count] of counts) {
      const binary = utf8Binary(chunk);
      // A one-byte chunk has no pair and can never change, so it needs no bookkeeping.
      if (binary.length < 2) continue;
      const word = new Int32Array(binary.length);
      for (let i = 0; i < binary.length; i++) word[i] = BYTE_RANK[binary.charCodeAt(i)];
      const w = this.words.length;
      this.words.push(word);
      this.wordCounts.push(count);
      this.addPairs(w, word, count, undefined);
    }
    for (const [key, count] of this.pairCounts) this.heap.push(-count, key);
  }

  /** The most frequent pair with a positive count, as [left, right], or undefined when none is left. */
  popBestPair(): [number, number] | undefined {
    for (let top = this.heap.pop(); top !== undefined; top = this.heap.pop()) {
      const [negCount, key] = top;
      // Stale entry: the pair's count changed after it was pushed (a newer entry holds the current count).
      if (this.pairCounts.get(key) !== -negCount) continue;
      return [Math.floor(key / 65536), key % 65536];
    }
    return undefined;
  }

  /** Replaces every non-overlapping (left, right), scanning left to right, by `id` in every word. */
  merge(left: number, right: number, id: number): void {
    const key = pairKey(left, right);
    const changed = new Set<number>();
    const containing = [...(this.pairWords.get(key) ?? [])];
    for (const w of containing) {
      const word = this.words[w];
      const count = this.wordCounts[w];
      this.removePairs(w, word, count, changed);
      const merged = new Int32Array(word.length);
      let n = 0;
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === left && word[i + 1] === right) {
          merged[n++] = id;
          i++;
        } else merged[n++] = word[i];
      }
      const next = merged.subarray(0, n);
      this.words[w] = next;
      this.addPairs(w, next, count, changed);
    }
    for (const k of changed) {
      const count = this.pairCounts.get(k) ?? 0;
      if (count > 0) this.heap.push(-count, k);
      else {
        this.pairCounts.delete(k);
        this.pairWords.delete(k);
      }
    }
  }

  private addPairs(w: number, word: Int32Array, count: number, changed: Set<number> | undefined): void {
    for (let i = 0; i + 1 < word.length; i++) {
      const k = pairKey(word[i], word[i + 1]);
      this.pairCounts.set(k, (this.pairCounts.get(k) ?? 0) + count);
      let set = this.pairWords.get(k);
      if (set === undefined) this.pairWords.set(k, (set = new Set()));
      set.add(w);
      changed?.add(k);
    }
  }

  private removePairs(w: number, word: Int32Array, count: number, changed: Set<number>): void {
    for (let i = 0; i + 1 < word.length; i++) {
      const k = pairKey(word[i], word[i + 1]);
      this.pairCounts.set(k, this.pairCounts.get(k)! - count);
      this.pairWords.get(k)?.delete(w);
      changed.add(k);
    }
  }
}
