import { describe, expect, it } from "vitest";
import { loadNativeAddon, loadNativeBackend } from "../../src/backend/native.js";
import { tsBackend } from "../../src/backend/ts/index.js";
import { relMaxError } from "../helpers/fixtures.js";
import { randomF32 } from "./helpers.js";

describe("row kernels: native agrees with the TypeScript oracle", () => {
  const native = loadNativeBackend().backend;
  if (!native && process.env.CSP_ALLOW_NO_NATIVE === "1") {
    it("native addon absent (allowed by CSP_ALLOW_NO_NATIVE)", () => expect(native).toBeUndefined());
    return;
  }

  it("addInto adds element-wise, also in place", () => {
    const a = randomF32(1000, 1);
    const b = randomF32(1000, 2);
    const want = new Float32Array(1000);
    tsBackend.addInto(a, b, want, 1000);
    expect(want[3]).toBe(Math.fround(a[3] + b[3]));
    const got = new Float32Array(1000);
    native!.addInto(a, b, got, 1000);
    expect(got).toEqual(want);
    native!.addInto(a, b, a, 1000);
    expect(a).toEqual(want);
  });

  it("addGatheredRows adds table rows by id, and refuses an id outside the table", () => {
    const width = 37;
    const table = randomF32(5 * width, 3);
    const ids = new Int32Array([4, 0, 4, 2]);
    const want = randomF32(ids.length * width, 4);
    const got = want.slice();
    tsBackend.addGatheredRows(table, ids, width, want);
    expect(want[width + 1]).not.toBe(got[width + 1]);
    native!.addGatheredRows(table, ids, width, got);
    expect(got).toEqual(want);
    expect(() => native!.addGatheredRows(table, new Int32Array([5]), width, got)).toThrow(/outside \[0, 5\)/);
  });

  it("rmsNormForward/Backward match, with strided rows, offsets and dw", () => {
    const n = 300;
    const d = 2048;
    const xStride = d;
    const outStride = d + 32;
    const x = randomF32(n * xStride, 5);
    const w = randomF32(d, 6);
    const fwd = (be: typeof tsBackend) => {
      const out = new Float32Array(n * outStride);
      const rstd = new Float32Array(n);
      be.rmsNormForward({ x, w, n, d, out, rstd, xStride, outStride, outOffset: 16 });
      return { out, rstd };
    };
    const a = fwd(tsBackend);
    const b = fwd(native!);
    expect(relMaxError(b.out, a.out)).toBeLessThan(1e-6);
    expect(relMaxError(b.rstd, a.rstd)).toBeLessThan(1e-6);
    // Columns outside [16, 16 + d) of each output row are untouched.
    expect(b.out[0]).toBe(0);
    expect(b.out[outStride - 1]).toBe(0);

    const dy = randomF32(n * outStride, 7);
    const bwd = (be: typeof tsBackend) => {
      const dx = randomF32(n * d, 8);
      const dw = randomF32(d, 9);
      be.rmsNormBackward({ dy, x, w, rstd: a.rstd, n, d, dx, dw, dyStride: outStride, dyOffset: 16 });
      return { dx, dw };
    };
    const ga = bwd(tsBackend);
    const gb = bwd(native!);
    expect(relMaxError(gb.dx, ga.dx)).toBeLessThan(1e-5);
    expect(relMaxError(gb.dw, ga.dw)).toBeLessThan(1e-5);
    // dw is optional.
    const dx0 = randomF32(n * d, 8);
    const dx = new Float32Array(n * d);
    native!.rmsNormBackward({
      dy,
      x,
      w,
      rstd: a.rstd,
      n,
      d,
      dx,
      dw: undefined,
      dyStride: outStride,
      dyOffset: 16,
    });
    expect(
      relMaxError(
        dx,
        ga.dx.map((v, i) => v - dx0[i]),
      ),
    ).toBeLessThan(1e-4);
  });

  it("rmsNormBackward's dw does not depend on the thread count", () => {
    const addon = loadNativeAddon().addon!;
    const n = 200;
    const d = 512;
    const x = randomF32(n * d, 10);
    const w = randomF32(d, 11);
    const dy = randomF32(n * d, 12);
    const rstd = new Float32Array(n).fill(0.7);
    const run = (threads: number) => {
      const before = addon.threads();
      addon.threads(threads);
      const dx = new Float32Array(n * d);
      const dw = new Float32Array(d);
      addon.rmsNormBackward(dy, x, w, rstd, n, d, dx, dw, d, 0);
      addon.threads(before);
      return { dx, dw };
    };
    const one = run(1);
    const two = run(2);
    expect(two.dx).toEqual(one.dx);
    expect(two.dw).toEqual(one.dw);
  });

  it("rmsNormForward refuses rows that do not fit their stride", () => {
    const addon = loadNativeAddon().addon!;
    const x = new Float32Array(8);
    expect(() =>
      addon.rmsNormForward(
        x,
        new Float32Array(4),
        2,
        4,
        new Float32Array(8),
        new Float32Array(2),
        4,
        4,
        2,
        1e-7,
      ),
    ).toThrow(/strides/);
  });
});
