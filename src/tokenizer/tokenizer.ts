import { CspError } from "../errors.js";
import { binaryToBytes, bytesToBinary, utf8Binary } from "./binary_string.js";
import { BYTE_ORDER } from "./byte_alphabet.js";
import { bytePairEncode } from "./byte_pair_encode.js";
import { forEachPretoken } from "./pretokenize.js";
import { utf8Runs } from "./utf8_runs.js";

/** The only special token; its id is the last one (vocabSize - 1). */
export const ENDOFTEXT = "<|endoftext|>";

/** One merge: the token whose bytes are `first` followed by `second` (one line of vocab.bpe). */
export interface BpeMerge {
  readonly first: Uint8Array;
  readonly second: Uint8Array;
}

/** Options of {@link Tokenizer.encode}. */
export interface EncodeOptions {
  /**
   * When true, each literal `<|endoftext|>` in the text becomes the special token. When false (default)
   * it is encoded as ordinary text, like tiktoken's `encode_ordinary`, so documents that happen to
   * contain the string cannot forge a document boundary.
   */
  allowSpecial?: boolean;
}

/** Distinct pre-token chunks remembered per tokenizer before the cache is dropped and refilled. */
const CACHE_LIMIT = 200_000;
/** Longer chunks are rare and would bloat the cache. */
const CACHE_MAX_CHUNK = 256;

/**
 * A byte-level BPE tokenizer with tiktoken's encoding algorithm: ids 0..255 are the single bytes in
 * data-gym order, ids 256.. are merges in rank order, and `<|endoftext|>` is the last id.
 */
export class Tokenizer {
  /** Number of ids, including `<|endoftext|>`. */
  readonly vocabSize: number;
  /** Id of `<|endoftext|>` (= vocabSize - 1). */
  readonly eotId: number;
  /** The merges in rank order; merge i makes token 256 + i. */
  readonly merges: readonly BpeMerge[];
  /** Bytes of each mergeable token, by id. */
  private readonly tokens: readonly Uint8Array[];
  /** Mergeable ranks keyed by binary string. */
  private readonly ranks: Map<string, number>;
  private readonly chunkCache = new Map<string, readonly number[]>();

  private constructor(merges: readonly BpeMerge[]) {
    const tokens: Uint8Array[] = BYTE_ORDER.map((b) => Uint8Array.of(b));
    const ranks = new Map<string, number>(tokens.map((t, id) => [bytesToBinary(t), id]));
    for (const merge of merges) {
      const bytes = new Uint8Array(merge.first.length + merge.second.length);
      bytes.set(merge.first);
      bytes.set(merge.second, merge.first.length);
      if (merge.first.length === 0 || merge.second.length === 0)
        throw new CspError(`merge ${tokens.length - 256} has an empty side`);
      const key = bytesToBinary(bytes);
      const earlier = ranks.get(key);
      if (earlier !== undefined)
        throw new CspError(`merge ${tokens.length - 256} repeats the token of id ${earlier}`);
      ranks.set(key, tokens.length);
      tokens.push(bytes);
    }
    this.merges = merges.map((m) => ({ first: m.first.slice(), second: m.second.slice() }));
    this.tokens = tokens;
    this.ranks = ranks;
    this.eotId = tokens.length;
    this.vocabSize = tokens.length + 1;
  }

  /** Builds a tokenizer from its merges in rank order (256 byte tokens come first implicitly). */
  static fromMerges(merges: readonly BpeMerge[]): Tokenizer {
    if (256 + merges.length + 1 > 65536)
      throw new CspError(`${merges.length} merges give more than 65536 ids, which uint16 shards cannot hold`);
    return new Tokenizer(merges);
  }

  /** Number of mergeable tokens (bytes + merges), i.e. every id except `<|endoftext|>`. */
  get mergeableCount(): number {
    return this.tokens.length;
  }

  /** The id of a mergeable token given its bytes, or undefined. */
  rankOf(bytes: Uint8Array): number | undefined {
    return this.ranks.get(bytesToBinary(bytes));
  }

  /** Token ids of `text` (its UTF-8 bytes; lone surrogates become U+FFFD as in TextEncoder). */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids: number[] = [];
    if (!options.allowSpecial) {
      this.encodeOrdinaryInto(text, ids);
      return ids;
    }
    const parts = text.split(ENDOFTEXT);
    parts.forEach((part, i) => {
      if (i > 0) ids.push(this.eotId);
      this.encodeOrdinaryInto(part, ids);
    });
    return ids;
  }

  /**
   * Token ids of an arbitrary byte string. Well-formed UTF-8 runs are encoded as text (same ids as
   * {@link encode}); each run of bytes outside valid UTF-8 is byte-pair encoded as one piece, so
   * `decodeBytes(encodeBytes(b))` equals `b` for every byte string.
   */
  encodeBytes(bytes: Uint8Array): number[] {
    const ids: number[] = [];
    const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
    for (const run of utf8Runs(bytes)) {
      const slice = bytes.subarray(run.start, run.end);
      if (run.valid) this.encodeOrdinaryInto(decoder.decode(slice), ids);
      else for (const id of bytePairEncode(bytesToBinary(slice), this.ranks)) ids.push(id);
    }
    return ids;
  }

  /** Token ids of one pre-token chunk (no pre-tokenisation, no special tokens). */
  encodeChunk(chunk: string): readonly number[] {
    const cached = this.chunkCache.get(chunk);
    if (cached !== undefined) return cached;
    const ids = bytePairEncode(utf8Binary(chunk), this.ranks);
    if (chunk.length <= CACHE_MAX_CHUNK) {
      if (this.chunkCache.size >= CACHE_LIMIT) this.chunkCache.clear();
      this.chunkCache.set(chunk, ids);
    }
    return ids;
  }

  /** The bytes of the given ids, concatenated; `<|endoftext|>` contributes its literal text. */
  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    let length = 0;
    for (let i = 0; i < ids.length; i++) length += this.tokenBytesView(ids[i]).length;
    const out = new Uint8Array(length);
    let offset = 0;
    for (let i = 0; i < ids.length; i++) {
      const bytes = this.tokenBytesView(ids[i]);
      out.set(bytes, offset);
      offset += bytes.length;
    }
    return out;
  }

  /** The text of the given ids; byte sequences that are not valid UTF-8 become U+FFFD. */
  decode(ids: ArrayLike<number>): string {
    return new TextDecoder("utf-8", { ignoreBOM: true }).decode(this.decodeBytes(ids));
  }

  /** A copy of the bytes of one token (for display; a token may hold part of a UTF-8 character). */
  tokenBytes(id: number): Uint8Array {
    return this.tokenBytesView(id).slice();
  }

  private tokenBytesView(id: number): Uint8Array {
    if (id === this.eotId) return ENDOFTEXT_BYTES;
    const bytes = Number.isInteger(id) ? this.tokens[id] : undefined;
    if (bytes === undefined) throw new CspError(`token id ${id} is outside 0..${this.vocabSize - 1}`);
    return bytes;
  }

  private encodeOrdinaryInto(text: string, out: number[]): void {
    forEachPretoken(text, (chunk) => {
      for (const id of this.encodeChunk(chunk)) out.push(id);
    });
  }
}

const ENDOFTEXT_BYTES = binaryToBytes(ENDOFTEXT);
