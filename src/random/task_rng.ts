import { Rng } from "./rng.js";

/**
 * Seeded choices (an integer in a range, a coin, a pick, a sample) over {@link Rng}: same seed, same draws
 * everywhere. The task generators draw through it; seed it with `taskLabelSeed` there (seed.ts).
 */
export class TaskRng {
  private readonly rng: Rng;

  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  /** Uniform integer in [lo, hi] (both included). */
  int(lo: number, hi: number): number {
    return lo + this.rng.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.rng.uniform() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("TaskRng.pick: empty list");
    return items[this.rng.int(items.length)];
  }

  /** k distinct items in random order. */
  sample<T>(items: readonly T[], k: number): T[] {
    if (k > items.length) throw new Error(`TaskRng.sample: ${k} of ${items.length} items`);
    const copy = items.slice();
    for (let i = 0; i < k; i++) {
      const j = i + this.rng.int(copy.length - i);
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy.slice(0, k);
  }
}
