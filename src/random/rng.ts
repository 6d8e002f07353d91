/**
 * A small seeded random number generator: xoshiro128** (Blackman & Vigna) seeded through splitmix32,
 * with Box-Muller normals. It uses only 32-bit integer arithmetic, so the same seed gives the same
 * stream on every machine, and its whole state is four integers plus a cached normal, so a training
 * checkpoint can store it and resume the exact stream. It is the generator for all new code (which
 * generator to use, and the two frozen exceptions: index.ts).
 */

/** Everything needed to continue a stream exactly where it stopped (JSON-serialisable). */
export interface RngState {
  /** The four xoshiro128** state words, as unsigned 32-bit integers. */
  s: [number, number, number, number];
  /** The second Box-Muller normal of the last pair, not yet handed out; null when there is none. */
  spareNormal: number | null;
}

const TWO_PI = 2 * Math.PI;
const TWO_POW_MINUS_32 = 2 ** -32;
const TWO_POW_MINUS_53 = 2 ** -53;

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** splitmix32 step: spreads a seed over 32 bits so that nearby seeds give unrelated streams. */
function splitmix32(state: { x: number }): number {
  state.x = (state.x + 0x9e3779b9) >>> 0;
  let z = state.x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;

  /**
   * Seeds from any safe integer (negative allowed): the low and high 32 bits both enter the state,
   * so seeds that differ only above bit 32 still give different streams.
   */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new Error(`Rng seed must be a safe integer, got ${seed}`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 2 ** 32) >>> 0;
    const sm = { x: lo ^ Math.imul(hi, 0x632be5ab) };
    this.s0 = splitmix32(sm);
    this.s1 = splitmix32(sm);
    this.s2 = splitmix32(sm);
    this.s3 = splitmix32(sm);
    // The all-zero state is the one fixed point of xoshiro; splitmix32 cannot produce four zeros
    // in a row, but guard anyway so that a hand-made state can never stall.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Rebuilds a generator that continues exactly from a saved state. */
  static fromState(state: RngState): Rng {
    const r = new Rng(0);
    r.setState(state);
    return r;
  }

  state(): RngState {
    return { s: [this.s0, this.s1, this.s2, this.s3], spareNormal: this.spare };
  }

  setState(state: RngState): void {
    const ok =
      Array.isArray(state.s) &&
      state.s.length === 4 &&
      state.s.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) &&
      state.s.some((w) => w !== 0) &&
      (state.spareNormal === null || Number.isFinite(state.spareNormal));
    if (!ok) throw new Error(`invalid Rng state ${JSON.stringify(state)}`);
    [this.s0, this.s1, this.s2, this.s3] = state.s;
    this.spare = state.spareNormal;
  }

  /** The next 32 random bits as an unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits (two draws). */
  uniform(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 2 ** 26 + lo) * TWO_POW_MINUS_53;
  }

  /** Uniform in [0, 1) with 32 random bits (one draw); enough for float32 tables. */
  uniform32(): number {
    return this.nextU32() * TWO_POW_MINUS_32;
  }

  /** Uniform integer in [0, n), without modulo bias (rejection sampling). */
  int(n: number): number {
    if (!(Number.isInteger(n) && n > 0 && n <= 2 ** 32))
      throw new Error(`Rng.int needs 0 < n <= 2^32, got ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  /** Standard normal by Box-Muller; the pair's second value is kept for the next call. */
  normal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    // 1 - uniform() lies in (0, 1], so the logarithm is finite.
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(TWO_PI * u2);
    return r * Math.cos(TWO_PI * u2);
  }
}
