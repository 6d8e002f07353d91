import { TwoKeyHeap } from "./two_key_heap.js";

/** Mergeable ranks keyed by binary string (see binary_string.ts). */
export type BinaryRanks = ReadonlyMap<string, number>;

/** Pieces up to this many bytes use the simple quadratic loop; longer ones the heap (O(n log n)). */
const LONG_PIECE_BYTES = 128;

/**
 * tiktoken's byte-pair encoding of one pre-token piece (a binary string): if the whole piece is a token,
 * that token; otherwise repeatedly merge the adjacent pair whose concatenation has the lowest rank
 * (leftmost on ties) until no adjacent pair is a token. Every single byte must have a rank.
 */
export function bytePairEncode(piece: string, ranks: BinaryRanks): number[] {
  const whole = ranks.get(piece);
  if (whole !== undefined) return [whole];
  const starts =
    piece.length <= LONG_PIECE_BYTES ? mergeQuadratic(piece, ranks) : mergeWithHeap(piece, ranks);
  const ids = new Array<number>(starts.length - 1);
  for (let i = 0; i + 1 < starts.length; i++) ids[i] = ranks.get(piece.slice(starts[i], starts[i + 1]))!;
  return ids;
}

/**
 * The reference loop (tiktoken's Rust `_byte_pair_merge`): part boundaries plus the cached rank of each
 * part merged with its right neighbour. Returns the boundaries, ending with piece.length.
 */
function mergeQuadratic(piece: string, ranks: BinaryRanks): number[] {
  const starts: number[] = [];
  for (let i = 0; i <= piece.length; i++) starts.push(i);
  const pairRank = (i: number): number =>
    i + 2 < starts.length ? (ranks.get(piece.slice(starts[i], starts[i + 2])) ?? Infinity) : Infinity;
  const rankAt: number[] = [];
  for (let i = 0; i + 1 < starts.length; i++) rankAt.push(pairRank(i));
  for (;;) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i < rankAt.length; i++) {
      if (rankAt[i] < bestRank) {
        bestRank = rankAt[i];
        best = i;
      }
    }
    if (best < 0) break;
    starts.splice(best + 1, 1);
    rankAt.splice(best + 1, 1);
    rankAt[best] = pairRank(best);
    if (best > 0) rankAt[best - 1] = pairRank(best - 1);
  }
  return starts;
}

/**
 * The same merge order for long pieces: parts form a linked list over byte offsets, and a heap holds
 * (rank, left offset) for every pair formed so far. A popped entry is current iff its left part is still
 * a part start and the rank of (left part + right part) still equals the entry's rank; since each rank
 * names one byte string, that check is exact. Ties pop the smallest offset, i.e. the leftmost pair.
 */
function mergeWithHeap(piece: string, ranks: BinaryRanks): number[] {
  const n = piece.length;
  // next[i]: start of the part after the part starting at i (n = end); alive[i]: i starts a part.
  const next = new Int32Array(n + 1);
  const prev = new Int32Array(n + 1);
  const alive = new Uint8Array(n + 1).fill(1);
  for (let i = 0; i <= n; i++) {
    next[i] = i + 1;
    prev[i] = i - 1;
  }
  const heap = new TwoKeyHeap(n);
  const rankOfPairAt = (left: number): number | undefined => {
    const right = next[left];
    if (right >= n) return undefined;
    return ranks.get(piece.slice(left, next[right]));
  };
  for (let i = 0; i + 1 < n; i++) {
    const r = rankOfPairAt(i);
    if (r !== undefined) heap.push(r, i);
  }
  for (let top = heap.pop(); top !== undefined; top = heap.pop()) {
    const [rank, left] = top;
    if (!alive[left] || rankOfPairAt(left) !== rank) continue;
    const right = next[left];
    alive[right] = 0;
    next[left] = next[right];
    prev[next[right]] = left;
    const merged = rankOfPairAt(left);
    if (merged !== undefined) heap.push(merged, left);
    if (left > 0) {
      const before = prev[left];
      const r = rankOfPairAt(before);
      if (r !== undefined) heap.push(r, before);
    }
  }
  const starts: number[] = [];
  for (let i = 0; i < n; i = next[i]) starts.push(i);
  starts.push(n);
  return starts;
}
