import { getBackend, setBackend } from "../src/backend/index.js";
import { nativeThreads } from "../src/backend/native.js";
import { Rng } from "../src/random/rng.js";

/** What this machine's cores can do on the build being measured: the yardsticks of the floors. */
export interface MachinePeaks {
  /** Best dense GEMM rate of the native backend, GFLOP/s (2·m·n·k / the fastest call). */
  gemmGflops: number;
  /** The GEMM shapes tried, m×n×k and mode, with their best rate. */
  gemm: { shape: string; gflops: number }[];
  /** Best rate of reading a large array once (native sumSquares over 256 MiB, all threads), GB/s. */
  readGBs: number;
  threads: number;
}

/** Fastest of `calls` calls, seconds (after one warm-up call). */
function fastest(fn: () => void, calls: number): number {
  fn();
  let best = Infinity;
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return best;
}

function randomF32(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 2 * rng.uniform32() - 1;
  return out;
}

/**
 * Measures the GEMM peak (the linear-layer form x·Wᵀ and the backward forms, 2048³; the best counts)
 * and the read bandwidth of the native backend on `threads` threads. About 5 s (quick: 2048² × 1024).
 */
export function measurePeaks(threads: number, quick: boolean): MachinePeaks {
  setBackend("native");
  nativeThreads(threads);
  const be = getBackend();
  const n = 2048;
  const k = quick ? 1024 : 2048;
  const a = randomF32(n * k, 1);
  const b = randomF32(k * n, 2);
  const c = new Float32Array(n * n);
  const gemm: MachinePeaks["gemm"] = [];
  for (const [mode, transA, transB] of [
    ["NT", false, true],
    ["NN", false, false],
    ["TN", true, false],
  ] as const) {
    const s = fastest(() => be.gemm(transA, transB, n, n, k, a, b, c, false), quick ? 2 : 3);
    gemm.push({ shape: `${n}×${n}×${k} ${mode}`, gflops: (2 * n * n * k) / s / 1e9 });
  }
  // 256 MiB: far beyond any cache, so the read comes from memory.
  const big = new Float32Array((quick ? 64 : 256) * 2 ** 18);
  for (let i = 0; i < big.length; i += 1024) big[i] = 1; // touch every page
  const s = fastest(() => be.sumSquares([big]), quick ? 3 : 5);
  return {
    gemmGflops: Math.max(...gemm.map((g) => g.gflops)),
    gemm,
    readGBs: big.byteLength / s / 1e9,
    threads,
  };
}
