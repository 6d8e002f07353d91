/**
 * Binary next-token tasks (spec F): each datapoint is a minimal pair of code prefixes whose correct next
 * tokens are swapped candidates.
 */
import { fnv1a32 } from "../random/seed.js";

/** Which part of a task a pair belongs to. */
export type TaskSplit = "train" | "test";

export const TASK_SPLITS: readonly TaskSplit[] = ["train", "test"];

/** One line of a task file (JSONL), as text: `a_next` follows `a`, `b_next` follows `b`. */
export interface TaskLine {
  /** Unique within the file; when absent the loader uses the 1-based line number. */
  id?: string;
  split?: TaskSplit;
  a: string;
  b: string;
  a_next: string;
  b_next: string;
}

/** One tokenized minimal pair. A's correct token is `aNext`, B's is `bNext`; each is the other's foil. */
export interface TaskPair {
  id: string;
  split: TaskSplit;
  /** Token ids of sequence A (left-truncated to the loader's maxLen). */
  a: Int32Array;
  /** Token ids of sequence B. */
  b: Int32Array;
  aNext: number;
  bNext: number;
}

/** A loaded task: its name (the file name without `.jsonl`) and its pairs in file order. */
export interface Task {
  name: string;
  pairs: TaskPair[];
}

/** The reference keeps the last 255 tokens of each task sequence (`left_truncate_to_len(255)`). */
export const DEFAULT_TASK_MAX_LEN = 255;

/** Fraction of pairs that land in the test split when a file assigns none (and in generated files). */
export const TEST_FRACTION = 0.2;

/** The pairs of each split, in task order. */
export function taskSplits(task: Task): { train: TaskPair[]; test: TaskPair[] } {
  return {
    train: task.pairs.filter((p) => p.split === "train"),
    test: task.pairs.filter((p) => p.split === "test"),
  };
}

/**
 * The split of a pair whose file assigns none: FNV-1a (32-bit) of its id, test when the hash mod 5 is 0
 * (≈20%). It depends on the id alone, so adding or reordering lines never moves an existing pair.
 */
export function defaultSplit(id: string): TaskSplit {
  return fnv1a32(id) % 5 === 0 ? "test" : "train";
}
