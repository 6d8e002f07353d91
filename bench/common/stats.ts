/** Median of a non-empty list (mean of the two middle values for even lengths). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("median of an empty list");
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** max |a - b| and max |b|, over arrays of equal length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): { maxDiff: number; maxRef: number } {
  if (a.length !== b.length) throw new Error(`cannot compare arrays of length ${a.length} and ${b.length}`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    // NaN anywhere must surface as NaN, not vanish in a comparison.
    if (Number.isNaN(d)) return { maxDiff: NaN, maxRef: NaN };
    if (d > maxDiff) maxDiff = d;
    const r = Math.abs(b[i]);
    if (r > maxRef) maxRef = r;
  }
  return { maxDiff, maxRef };
}

/** Peak resident set size of this process in bytes (VmHWM), or null where /proc is unavailable. */
export function peakRssBytes(status: string): number | null {
  const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  return m ? Number(m[1]) * 1024 : null;
}
