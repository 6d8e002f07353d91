import { describe, expect, it } from "vitest";
import { tsBackend } from "../../src/backend/ts/index.js";
import { loadNativeAddon } from "../../src/backend/native.js";
import { geluForward } from "../../src/backend/ts/activations.js";
import { rng } from "../helpers/random.js";
import { nativeUnderTest } from "./helpers.js";

/** Rows with many exact ties (zeros and repeated magnitudes of both signs), the case tie-breaking decides. */
function tiedRows(n: number, d: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n * d }, () => {
    const u = r();
    if (u < 0.5) return 0;
    if (u < 0.7) return r() < 0.5 ? 0.25 : -0.25;
    return (r() - 0.5) * 4;
  });
}

describe("activation kernels: native agrees with the TypeScript oracle", () => {
  const native = nativeUnderTest();
  if (!native) return;

  it("AbsTopK picks the same entries, ties included (libstdc++ nth_element both ways)", () => {
    for (const [n, d, k, seed] of [
      [64, 32, 8, 1],
      [16, 130, 32, 2],
      [8, 2080, 520, 3],
      [5, 7, 3, 4],
      [3, 4, 0, 5],
    ] as const) {
      const a = tiedRows(n, d, seed);
      const b = a.slice();
      const keptA = new Uint8Array(n * d);
      const keptB = new Uint8Array(n * d);
      tsBackend.absTopK(a, n, d, k, keptA);
      native!.absTopK(b, n, d, k, keptB);
      expect(keptB, `n=${n} d=${d} k=${k}`).toEqual(keptA);
      expect(b).toEqual(a);
      for (let i = 0; i < n; i++)
        expect(keptA.subarray(i * d, (i + 1) * d).reduce((s, v) => s + v, 0)).toBe(k);
    }
  });

  it("the selection keeps the k largest magnitudes", () => {
    const x = Float32Array.from([0.1, -5, 3, 0, -0.2, 4, 0, 2]);
    const kept = new Uint8Array(8);
    native!.absTopK(x, 1, 8, 3, kept);
    expect(Array.from(x)).toEqual([0, -5, 3, 0, 0, 4, 0, 0]);
  });

  it("GELU forward and backward match the float64 reference to float32 precision", () => {
    const x = Float32Array.from({ length: 1000 }, (_, i) => (i - 500) / 60);
    const ref = new Float64Array(1000);
    geluForward(Float64Array.from(x), ref, 1000);
    const out = new Float32Array(1000);
    native!.gelu(x, out, 1000);
    for (let i = 0; i < 1000; i++)
      expect(Math.abs(out[i] - ref[i])).toBeLessThan(1e-6 * (1 + Math.abs(ref[i])));
    const dy = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i));
    const dxN = new Float32Array(1000);
    const dxT = new Float32Array(1000);
    native!.geluBackward(x, dy, dxN, 1000);
    tsBackend.geluBackward(x, dy, dxT, 1000);
    for (let i = 0; i < 1000; i++) expect(Math.abs(dxN[i] - dxT[i])).toBeLessThan(1e-6);
  });

  it("rejects a kept buffer of the wrong type", () => {
    const addon = loadNativeAddon().addon!;
    expect(() =>
      addon.absTopK(new Float32Array(4), 1, 4, 2, new Int32Array(4) as unknown as Uint8Array),
    ).toThrow(TypeError);
  });
});

describe("attention kernels: native agrees with the TypeScript oracle", () => {
  const native = nativeUnderTest();
  if (!native) return;
  const random = (n: number, seed: number) => {
    const r = rng(seed);
    return Float32Array.from({ length: n }, () => r() * 2 - 1);
  };
  for (const withSink of [false, true]) {
    for (const dims of [
      { b: 2, t: 7, nHead: 3, dHead: 4 },
      { b: 3, t: 64, nHead: 8, dHead: 16 },
    ]) {
      it(`forward and backward, ${JSON.stringify(dims)}${withSink ? ", sink" : ""}`, () => {
        const size = dims.b * dims.t * dims.nHead * dims.dHead;
        const [q, k, v, dy] = [1, 2, 3, 4].map((s) => random(size, s));
        const sink = withSink ? random(dims.nHead, 5) : undefined;
        const run = (be: typeof tsBackend) => {
          const y = new Float32Array(size);
          const probs = new Float32Array(dims.b * dims.nHead * dims.t * dims.t);
          const pSink = sink ? new Float32Array(dims.b * dims.nHead * dims.t) : undefined;
          be.attentionForward(dims, q, k, v, sink, y, probs, pSink);
          const [dq, dk, dv] = [0, 0, 0].map(() => new Float32Array(size));
          const dSink = sink ? new Float32Array(dims.nHead) : undefined;
          be.attentionBackward(dims, dy, q, k, v, probs, pSink, dq, dk, dv, dSink);
          return { y, probs, dq, dk, dv, dSink };
        };
        const a = run(tsBackend);
        const b = run(native!);
        for (const key of ["y", "probs", "dq", "dk", "dv", "dSink"] as const) {
          const x = a[key];
          const z = b[key];
          if (!x || !z) continue;
          for (let i = 0; i < x.length; i++)
            expect(Math.abs(x[i] - z[i]), `${key}[${i}]`).toBeLessThan(2e-6 * (1 + Math.abs(x[i])));
        }
      });
    }
  }
});
