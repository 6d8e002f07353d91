import { describe, expect, it } from "vitest";
import { loadNativeAddon } from "../../src/backend/native.js";
import { tsBackend } from "../../src/backend/ts/index.js";
import { rng } from "../helpers/random.js";
import { nativeUnderTest } from "./helpers.js";

/**
 * Bit patterns, so that −0 against +0 counts as a difference; every NaN reads as one value (V8 stores
 * its own canonical NaN into a Float32Array, where x86 arithmetic makes a negative one).
 */
const bits = (a: Float32Array) =>
  Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length), (b, i) => (Number.isNaN(a[i]) ? -1 : b));

/** Activations with the awkward values: ±0, infinities, NaN, subnormals, large and small magnitudes. */
function activations(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => {
    const u = r();
    if (u < 0.02) return [0, -0, Infinity, -Infinity, NaN, 1e-42][Math.floor(r() * 6)];
    return (r() - 0.5) * 2 ** Math.floor(r() * 20 - 10);
  });
}

describe("node mask: native agrees with the TypeScript oracle bit for bit", () => {
  const native = nativeUnderTest();
  if (!native) return;

  // Masks of 0s and 1s (a circuit: the float path) and of values in between (mask training: double).
  const masks = {
    binary: (w: number, r: () => number) => Float64Array.from({ length: w }, () => (r() < 0.3 ? 1 : 0)),
    continuous: (w: number, r: () => number) =>
      Float64Array.from({ length: w }, () => (r() < 0.2 ? 1 : r() < 0.3 ? 0 : r())),
  };
  for (const [kind, makeMask] of Object.entries(masks)) {
    it(`${kind} masks, forward (in place and not) and backward, per-channel and per-row μ`, () => {
      let seed = kind.length * 100;
      for (const [rows, w] of [
        [1, 1],
        [3, 7],
        [5, 33],
        [40, 300],
        [64, 2048],
      ]) {
        for (const muPerRow of [false, true]) {
          const r = rng(seed++);
          const x = activations(rows * w, seed++);
          const mask = makeMask(w, r);
          const mu = activations(muPerRow ? rows * w : w, seed++);
          const args = { x, rows, width: w, mask, mu, muPerRow };
          const what = `${kind} rows=${rows} w=${w} muPerRow=${muPerRow}`;
          const want = new Float32Array(rows * w);
          tsBackend.nodeMaskForward({ ...args, out: want });
          const got = new Float32Array(rows * w);
          native.nodeMaskForward({ ...args, out: got });
          expect(bits(got), `${what} forward`).toEqual(bits(want));
          const io = x.slice();
          native.nodeMaskForward({ ...args, x: io, out: io });
          expect(bits(io), `${what} in place`).toEqual(bits(want));

          const dOut = activations(rows * w, seed++);
          for (const perSequence of [undefined, 1, rows]) {
            const dxWant = new Float32Array(rows * w);
            const dxGot = new Float32Array(rows * w);
            const dMaskWant = Float64Array.from({ length: w }, (_, c) => c / 7);
            const dMaskGot = dMaskWant.slice();
            tsBackend.nodeMaskBackward({ ...args, dOut, dx: dxWant, dMask: dMaskWant, perSequence });
            native.nodeMaskBackward({ ...args, dOut, dx: dxGot, dMask: dMaskGot, perSequence });
            expect(bits(dxGot), `${what} dx`).toEqual(bits(dxWant));
            expect(Array.from(dMaskGot), `${what} dMask perSequence=${perSequence}`).toEqual(
              Array.from(dMaskWant),
            );
            // In place: dx written over dOut, d loss / d m read from it first.
            const io = dOut.slice();
            const dMaskInPlace = Float64Array.from({ length: w }, (_, c) => c / 7);
            native.nodeMaskBackward({ ...args, dOut: io, dx: io, dMask: dMaskInPlace, perSequence });
            expect(bits(io), `${what} dx in place`).toEqual(bits(dxWant));
            expect(Array.from(dMaskInPlace), `${what} dMask in place`).toEqual(Array.from(dMaskWant));
          }
        }
      }
    });
  }

  it("the addon refuses an output that partly overlaps the input, and a mask that is not Float64", () => {
    const addon = loadNativeAddon().addon!;
    const buf = new Float32Array(12);
    const mask = new Float64Array(8);
    const mu = new Float32Array(8);
    expect(() =>
      addon.nodeMaskForward(buf.subarray(0, 8), 1, 8, mask, mu, false, buf.subarray(4, 12)),
    ).toThrow(/out must not share memory with x/);
    expect(() =>
      addon.nodeMaskForward(
        buf.subarray(0, 8),
        1,
        8,
        new Float32Array(8) as unknown as Float64Array,
        mu,
        false,
        buf,
      ),
    ).toThrow(/mask must be a Float64Array/);
    expect(() =>
      addon.nodeMaskBackward(
        buf,
        3,
        4,
        new Float64Array(4),
        new Float32Array(4),
        false,
        buf,
        new Float32Array(12),
        null,
        2,
      ),
    ).toThrow(/multiple of perSequence/);
  });
});
