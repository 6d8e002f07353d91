import { CspError } from "../errors.js";
import { Rng } from "../random/rng.js";

/**
 * One minimal pair of a task (the shape `loadTask` of src/tasks returns): two token sequences whose
 * correct next tokens are swapped. A's answer is aNext, B's is bNext.
 */
export interface PrunePair {
  id: string;
  split: string;
  a: Int32Array;
  b: Int32Array;
  aNext: number;
  bNext: number;
}

/** A task as pruning sees it. */
export interface PruneTask {
  name: string;
  pairs: PrunePair[];
}

/**
 * One sequence of the two-sided contrast loss (spec E.4): the binary choice at its last position
 * between `correct` and `alt`.
 */
export interface TaskSequence {
  ids: Int32Array;
  correct: number;
  alt: number;
}

/** The pairs of one split (in file order); a missing split is a CspError naming the task. */
export function splitPairs(task: PruneTask, split: string, source: string): PrunePair[] {
  const pairs = task.pairs.filter((p) => p.split === split);
  if (pairs.length === 0) {
    const have = [...new Set(task.pairs.map((p) => p.split))].join(", ") || "none";
    throw new CspError(`${source}: task "${task.name}" has no pairs in split "${split}" (splits: ${have})`);
  }
  return pairs;
}

/** Both sequences of each pair, A then B: A must prefer aNext over bNext, B the reverse. */
export function pairSequences(pairs: readonly PrunePair[]): TaskSequence[] {
  const out: TaskSequence[] = [];
  for (const p of pairs) {
    out.push({ ids: p.a, correct: p.aNext, alt: p.bNext });
    out.push({ ids: p.b, correct: p.bNext, alt: p.aNext });
  }
  return out;
}

/**
 * The nonsense-task control: the (correct, alternative) labels of all sequences are permuted across
 * sequences with a seeded shuffle, so each sequence keeps a binary choice between real task tokens but
 * its answer no longer depends on its text. Class balance is preserved; pair structure is not.
 */
export function shuffleLabels(seqs: readonly TaskSequence[], seed: number): TaskSequence[] {
  const rng = new Rng(seed);
  const order = seqs.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return seqs.map((s, i) => ({ ids: s.ids, correct: seqs[order[i]].correct, alt: seqs[order[i]].alt }));
}

/** Sequences of one length, stacked [n, t] for one forward pass. */
export interface SequenceGroup {
  t: number;
  n: number;
  /** [n·t] */
  ids: Int32Array;
  correct: Int32Array;
  alt: Int32Array;
  /** Index of each row in the list the group was made from. */
  members: number[];
}

/**
 * Stacks sequences by exact length (no padding: the model has no padding mask, so padding would change
 * the activations), shortest first, each group cut into chunks of at most `maxTokens` tokens.
 */
export function groupByLength(
  seqs: readonly TaskSequence[],
  indices: readonly number[] = seqs.map((_, i) => i),
  maxTokens = 8192,
): SequenceGroup[] {
  const byLen = new Map<number, number[]>();
  for (const i of indices) {
    const t = seqs[i].ids.length;
    const list = byLen.get(t);
    if (list) list.push(i);
    else byLen.set(t, [i]);
  }
  const groups: SequenceGroup[] = [];
  for (const t of [...byLen.keys()].sort((x, y) => x - y)) {
    const all = byLen.get(t)!;
    const per = Math.max(1, Math.floor(maxTokens / t));
    for (let start = 0; start < all.length; start += per) {
      const members = all.slice(start, start + per);
      const n = members.length;
      const ids = new Int32Array(n * t);
      const correct = new Int32Array(n);
      const alt = new Int32Array(n);
      members.forEach((m, r) => {
        ids.set(seqs[m].ids, r * t);
        correct[r] = seqs[m].correct;
        alt[r] = seqs[m].alt;
      });
      groups.push({ t, n, ids, correct, alt, members });
    }
  }
  return groups;
}

/** Checks token ids and lengths of task sequences against a model; problems name the task file. */
export function checkSequences(
  seqs: readonly TaskSequence[],
  vocab: number,
  blockSize: number,
  source: string,
): void {
  seqs.forEach((s, i) => {
    const what = `sequence ${i} (pair ${Math.floor(i / 2)}, ${i % 2 === 0 ? "a" : "b"})`;
    if (s.ids.length === 0) throw new CspError(`${source}: ${what} is empty`);
    if (s.ids.length > blockSize)
      throw new CspError(
        `${source}: ${what} has ${s.ids.length} tokens, the model's block_size is ${blockSize}`,
      );
    for (const id of [...s.ids, s.correct, s.alt])
      if (!(Number.isInteger(id) && id >= 0 && id < vocab))
        throw new CspError(
          `${source}: ${what} uses token ${id}, outside the model's vocabulary [0, ${vocab})`,
        );
    if (s.correct === s.alt)
      throw new CspError(`${source}: ${what} has the same correct and alternative token ${s.correct}`);
  });
}

/** `count` indices spread evenly over [0, n): a deterministic subset robust to ordered files. */
export function spreadIndices(n: number, count: number): number[] {
  if (count >= n) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: count }, (_, i) => Math.floor((i * n) / count));
}
