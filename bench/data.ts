import { Rng } from "../src/random/rng.js";

/**
 * Seeded synthetic token streams that a small model can learn (so validation loss falls during a
 * short run): a sparse first-order Markov chain — each token has 8 likely successors with Zipf
 * weights, plus 10% uniform noise — interleaved with copies of recent spans (so attention has
 * something to do). Both sides train on exactly these tokens.
 */
export function syntheticTokens(length: number, vocab: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  // The chain is part of the "language": derived from a fixed seed, the same for train and val.
  const chain = new Rng(0x5eed);
  const FANOUT = 8;
  const successors = new Int32Array(vocab * FANOUT);
  for (let i = 0; i < successors.length; i++) successors[i] = chain.int(vocab);
  const zipf = Array.from({ length: FANOUT }, (_, r) => 1 / (r + 1));
  const zipfTotal = zipf.reduce((a, b) => a + b, 0);
  const out = new Int32Array(length);
  out[0] = rng.int(vocab);
  let i = 1;
  while (i < length) {
    if (i > 64 && rng.uniform() < 0.03) {
      // Copy a span of 8..31 tokens from the last 64..255 positions.
      const span = 8 + rng.int(24);
      const from = i - 64 - rng.int(Math.min(192, i - 64));
      for (let j = 0; j < span && i < length; j++) out[i++] = out[from + j];
      continue;
    }
    if (rng.uniform() < 0.1) {
      out[i++] = rng.int(vocab);
      continue;
    }
    let u = rng.uniform() * zipfTotal;
    let r = 0;
    while (r < FANOUT - 1 && u >= zipf[r]) u -= zipf[r++];
    out[i] = successors[out[i - 1] * FANOUT + r];
    i++;
  }
  return out;
}

/** `count` windows of `t` tokens at seeded random offsets of a stream: [count, t]. */
export function sampleWindows(stream: Int32Array, count: number, t: number, seed: number): Int32Array {
  if (stream.length < t)
    throw new Error(`stream of ${stream.length} tokens is shorter than a window of ${t}`);
  const rng = new Rng(seed);
  const out = new Int32Array(count * t);
  for (let w = 0; w < count; w++) {
    const start = rng.int(stream.length - t + 1);
    out.set(stream.subarray(start, start + t), w * t);
  }
  return out;
}
