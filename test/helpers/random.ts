import { mulberry32Unit } from "../../src/random/frozen_mulberry32.js";
/**
 * Uniform numbers in [0, 1) for test data (tests must be reproducible). Frozen on mulberry32, not Rng:
 * fixtures are tuned to these exact draws (test/viewer/fixture.ts's hand-picked circuit nodes stop
 * mattering under other draws, measured), so changing the stream would change what the tests check.
 */
export function rng(seed: number): () => number {
  return mulberry32Unit(seed);
}

export function randn(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

export function randomArray(n: number, seed: number, scale = 1): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = randn(r) * scale;
  return out;
}

/**
 * Central finite differences of a scalar function at the listed coordinates of x (restored afterwards),
 * in float64.
 */
export function finiteDiff(f: () => number, x: Float64Array, coords: number[], h = 1e-6): number[] {
  return coords.map((i) => {
    const save = x[i];
    x[i] = save + h;
    const up = f();
    x[i] = save - h;
    const down = f();
    x[i] = save;
    return (up - down) / (2 * h);
  });
}

/** Up to `count` distinct coordinates of [0, n), seeded. */
export function sampleCoords(n: number, count: number, seed: number): number[] {
  if (n <= count) return [...Array(n).keys()];
  const r = rng(seed);
  const set = new Set<number>();
  while (set.size < count) set.add(Math.floor(r() * n));
  return [...set];
}

export function expectClose(analytic: number, numeric: number, what: string, rtol = 1e-5, atol = 1e-7): void {
  const err = Math.abs(analytic - numeric);
  if (err > atol + rtol * Math.abs(numeric)) {
    throw new Error(`${what}: analytic ${analytic} vs finite difference ${numeric} (error ${err})`);
  }
}
