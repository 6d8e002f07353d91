import { readFileSync } from "node:fs";

/** Busy CPU time (all cores) from /proc/stat: [busy, total] jiffies. */
function cpuTimes(stat: string): [number, number] {
  const line = stat.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) throw new Error("/proc/stat has no aggregate cpu line");
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...
  const idle = v[3] + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return [total - idle, total];
}

/** Fraction (0..1) of all cores busy between two /proc/stat snapshots. */
export function busyFraction(before: string, after: string): number {
  const [b0, t0] = cpuTimes(before);
  const [b1, t1] = cpuTimes(after);
  return t1 > t0 ? (b1 - b0) / (t1 - t0) : 0;
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** How busy the machine is while this process idles for `ms` (other work competes for the cores). */
export function sampleOtherCpuBusy(ms = 1000): number | null {
  try {
    const a = readFileSync("/proc/stat", "utf8");
    sleepMs(ms);
    return busyFraction(a, readFileSync("/proc/stat", "utf8"));
  } catch {
    return null;
  }
}

/**
 * Waits (up to maxSeconds) until other processes leave the cores mostly idle, so that a timing is not
 * a measurement of someone else's build. Returns the last busy fraction seen (null without /proc).
 */
export function waitForQuiet(maxSeconds: number, threshold = 0.2): number | null {
  const start = performance.now();
  for (;;) {
    const busy = sampleOtherCpuBusy(1000);
    if (busy === null || busy <= threshold || (performance.now() - start) / 1000 >= maxSeconds) return busy;
  }
}
