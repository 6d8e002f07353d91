import { describe, expect, it } from "vitest";
import type { Backend } from "../../../src/backend/backend.js";
import { loadNativeBackend } from "../../../src/backend/native.js";
import { tsBackend } from "../../../src/backend/ts/index.js";
import { crossEntropyTs } from "../../../src/backend/ts/train_cross_entropy.js";
import { addColumnSumsTs, maskByKeptTs } from "../../../src/backend/ts/train_kernels.js";
import { absTopKBackward } from "../../../src/model/layers/abstopk.js";
import { crossEntropy } from "../../../src/model/layers/cross_entropy.js";
import { linearBackward } from "../../../src/model/layers/linear.js";
import { randn, rng } from "../../helpers/random.js";

// The layer functions the model calls run their per-element loops on the backend they are given;
// on every backend the Float32 results are the oracle's (bit for bit, or to float32 rounding for the
// cross-entropy gradient).

const backends: Backend[] = [tsBackend];
const native = loadNativeBackend().backend;
if (native) backends.push(native);

function randomF32(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => randn(r));
}

describe.each(backends.map((be) => [be.name, be] as const))("layer tails on the %s backend", (_, be) => {
  it("linearBackward's bias gradient is the oracle's row-by-row float32 sum", () => {
    const [n, dIn, dOut] = [96, 8, 70];
    const dy = randomF32(n * dOut, 1);
    const x = randomF32(n * dIn, 2);
    const w = randomF32(dOut * dIn, 3);
    const db0 = randomF32(dOut, 4);
    const expected = db0.slice();
    addColumnSumsTs(dy, n, dOut, expected);
    const db = db0.slice();
    linearBackward(be, { dy, x, w, n, dIn, dOut, db });
    expect(Array.from(db)).toEqual(Array.from(expected));
    // db[j] = db0[j] + dy[0, j] + dy[1, j] + …, each addition rounded to float32
    for (const j of [0, 33, dOut - 1]) {
      let acc = db0[j];
      for (let i = 0; i < n; i++) acc = Math.fround(acc + dy[i * dOut + j]);
      expect(db[j]).toBe(acc);
    }
  });

  it("absTopKBackward zeroes the gradient where AbsTopK dropped the entry", () => {
    const dy = Float32Array.from([1, -2, 3, -4, 5]);
    absTopKBackward(dy, Uint8Array.from([1, 0, 1, 0, 0]), 5, be);
    expect(Array.from(dy)).toEqual([1, 0, 3, 0, 0]);
    const big = randomF32(5000, 5);
    const kept = Uint8Array.from(big, (v) => (v > 0 ? 1 : 0));
    const expected = big.slice();
    maskByKeptTs(expected, kept, big.length);
    absTopKBackward(big, kept, big.length, be);
    expect(Array.from(big)).toEqual(Array.from(expected));
  });

  it("crossEntropy matches the oracle (loss to 1e-12, gradient to float32 rounding)", () => {
    const [n, v] = [40, 300];
    const logits = randomF32(n * v, 6).map((x) => 4 * x);
    const targets = Int32Array.from({ length: n }, (_, i) => (i % 5 === 4 ? -1 : (i * 37) % v));
    const d = new Float32Array(n * v);
    const dRef = new Float32Array(n * v);
    const r = crossEntropy(logits, targets, v, d, 0.5, be);
    const ref = crossEntropyTs(logits, targets, v, dRef, 0.5);
    expect(r.count).toBe(32);
    expect(Math.abs(r.loss - ref.loss) / ref.loss).toBeLessThan(1e-12);
    for (let i = 0; i < d.length; i++)
      expect(Math.abs(d[i] - dRef[i])).toBeLessThanOrEqual(2 ** -23 * Math.abs(dRef[i]));
  });
});
