/**
 * Deriving seeds. The rule: a sub-stream's seed is `mixSeed(seed, ...coordinates)` (integers: an epoch,
 * a trial, a group index, a tag constant). It is counter-style, so any sub-stream can be rebuilt from the
 * seed alone, which is what lets a resumed run continue bit-identically. A string label enters as
 * `mixSeed(seed, fnv1a32(label))`.
 *
 * One exception, frozen: {@link taskLabelSeed}, the task generators' older label hash. Replacing it by the
 * rule changes the committed task files (models/default/tasks/, measured), so it stays for them only.
 */

/** Mixes 32-bit words into one well-spread 32-bit value (murmur3's word step and finaliser). */
export function mixSeed(...words: number[]): number {
  let h = 0x9e3779b9;
  for (const word of words) {
    let k = Math.imul(word >>> 0, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 32-bit FNV-1a of the UTF-8 bytes of `text`: tiny, stable across platforms, good enough to spread strings. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * Frozen: the seed of a task generator's stream, `fnv1a32("<seed>:<label>")`. `csp tasks make` with a
 * given seed must keep writing the same pairs (the committed task files, and every recorded prune of
 * them), so this stays as it was; new code uses {@link mixSeed}.
 */
export function taskLabelSeed(seed: number, label: string): number {
  return fnv1a32(`${seed}:${label}`);
}
