import { forEachPretoken } from "./pretokenize.js";

/** How often each pre-token chunk occurs in a corpus: all the BPE trainer needs to know about it. */
export type ChunkCounts = Map<string, number>;

/** Accumulates {@link ChunkCounts} over texts added one by one (so a corpus never sits in memory whole). */
export class ChunkCounter {
  readonly counts: ChunkCounts = new Map();

  add(text: string): void {
    const counts = this.counts;
    forEachPretoken(text, (chunk) => counts.set(chunk, (counts.get(chunk) ?? 0) + 1));
  }
}

/** Chunk counts of several texts. */
export function countChunks(texts: Iterable<string>): ChunkCounts {
  const counter = new ChunkCounter();
  for (const text of texts) counter.add(text);
  return counter.counts;
}
