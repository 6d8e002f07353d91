/**
 * A binary min-heap of (primary, secondary) number pairs ordered lexicographically. Both BPE loops use it
 * with "lazy deletion": stale entries stay in the heap and the caller skips them when popped, which is
 * cheaper than a decrease-key structure. The secondary key makes every tie-break deterministic.
 */
export class TwoKeyHeap {
  private primary: Float64Array;
  private secondary: Float64Array;
  private count = 0;

  constructor(initialCapacity = 1024) {
    this.primary = new Float64Array(Math.max(1, initialCapacity));
    this.secondary = new Float64Array(Math.max(1, initialCapacity));
  }

  get size(): number {
    return this.count;
  }

  push(primary: number, secondary: number): void {
    if (this.count === this.primary.length) this.grow();
    let i = this.count++;
    // Sift up: move parents down until the new entry's slot is found.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(primary, secondary, this.primary[parent], this.secondary[parent])) break;
      this.primary[i] = this.primary[parent];
      this.secondary[i] = this.secondary[parent];
      i = parent;
    }
    this.primary[i] = primary;
    this.secondary[i] = secondary;
  }

  /** The smallest entry's keys, without removing it; undefined when empty. */
  peek(): [number, number] | undefined {
    return this.count === 0 ? undefined : [this.primary[0], this.secondary[0]];
  }

  /** Removes the smallest entry and returns its keys; undefined when empty. */
  pop(): [number, number] | undefined {
    if (this.count === 0) return undefined;
    const top: [number, number] = [this.primary[0], this.secondary[0]];
    const n = --this.count;
    const p = this.primary[n];
    const s = this.secondary[n];
    let i = 0;
    // Sift down the former last entry from the root.
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (
        child + 1 < n &&
        this.less(
          this.primary[child + 1],
          this.secondary[child + 1],
          this.primary[child],
          this.secondary[child],
        )
      )
        child++;
      if (!this.less(this.primary[child], this.secondary[child], p, s)) break;
      this.primary[i] = this.primary[child];
      this.secondary[i] = this.secondary[child];
      i = child;
    }
    this.primary[i] = p;
    this.secondary[i] = s;
    return top;
  }

  private less(p1: number, s1: number, p2: number, s2: number): boolean {
    return p1 < p2 || (p1 === p2 && s1 < s2);
  }

  private grow(): void {
    const primary = new Float64Array(this.primary.length * 2);
    const secondary = new Float64Array(this.secondary.length * 2);
    primary.set(this.primary);
    secondary.set(this.secondary);
    this.primary = primary;
    this.secondary = secondary;
  }
}
