/**
 * Frozen: mulberry32, the generator of two outputs that are pinned, kept bit for bit. New code uses
 * Rng (src/random/rng.ts); this generator feeds only
 *   - the zoo's data order (data/batch_loader.ts: each epoch's shift and window permutation), which the
 *     committed models' recorded runs and every resumed run depend on;
 *   - the simple-idioms corpus (data/simple_python.ts), the zoo's training text, pinned by golden hashes
 *     in test/data/simple_python.test.ts;
 *   - the tests' random data (test/helpers/random.ts), to which fixtures are tuned.
 * Drawing any of them from Rng instead changes them (measured), so they stay on this stream.
 */

/** mulberry32: a 32-bit generator; returns a function giving uint32 values. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** mulberry32 scaled to uniform numbers in [0, 1). */
export function mulberry32Unit(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}

/** A uniform integer in [0, n) from a uint32 generator, without modulo bias (rejection sampling). */
export function uniformInt(next: () => number, n: number): number {
  if (n <= 0 || n > 2 ** 32) throw new RangeError(`uniformInt: n=${n} out of range`);
  const limit = 2 ** 32 - (2 ** 32 % n);
  for (;;) {
    const x = next();
    if (x < limit) return x % n;
  }
}

/** A seeded Fisher-Yates permutation of 0..n-1 (mulberry32 underneath). */
export function seededPermutation(n: number, seed: number): Uint32Array {
  const next = mulberry32(seed);
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = uniformInt(next, i + 1);
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return perm;
}
