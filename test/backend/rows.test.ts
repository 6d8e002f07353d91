import { describe, expect, it } from "vitest";
import { loadNativeAddon } from "../../src/backend/native.js";
import { tsBackend } from "../../src/backend/ts/index.js";
import { relMaxError } from "../helpers/fixtures.js";
import { randomF32, nativeUnderTest } from "./helpers.js";

describe("row kernels: native agrees with the TypeScript oracle", () => {
  const native = nativeUnderTest();
  if (!native) return;

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

  it("scatterAddRows adds rows into the table by id in order, skipping skipId, and refuses bad ids", () => {
    const width = 19;
    const ids = new Int32Array([2, 0, 2, 3, 1]);
    const src = randomF32(ids.length * width, 13);
    const want = randomF32(4 * width, 14);
    const got = want.slice();
    const untouched = want.slice(3 * width, 4 * width);
    tsBackend.scatterAddRows(src, ids, width, want, 3);
    expect(want[2 * width]).toBe(Math.fround(Math.fround(got[2 * width] + src[0]) + src[2 * width]));
    expect(want.slice(3 * width, 4 * width)).toEqual(untouched);
    native!.scatterAddRows(src, ids, width, got, 3);
    expect(got).toEqual(want);
    expect(() => native!.scatterAddRows(src, new Int32Array([0, 0, 0, 0, 4]), width, got)).toThrow(
      /outside \[0, 4\)/,
    );
  });

  it("copyBlock moves a column block between row widths both ways", () => {
    const rows = 33;
    const D = 24;
    const qkv = randomF32(rows * 3 * D, 15);
    for (const offset of [0, D, 2 * D]) {
      const a = new Float32Array(rows * D);
      const b = new Float32Array(rows * D);
      const o = { src: qkv, srcStride: 3 * D, srcOffset: offset, dstStride: D, dstOffset: 0, rows, width: D };
      tsBackend.copyBlock({ ...o, dst: a });
      native!.copyBlock({ ...o, dst: b });
      expect(a[D + 5]).toBe(qkv[3 * D + offset + 5]);
      expect(b).toEqual(a);
      const back = new Float32Array(rows * 3 * D);
      native!.copyBlock({
        src: b,
        srcStride: D,
        srcOffset: 0,
        dst: back,
        dstStride: 3 * D,
        dstOffset: offset,
        rows,
        width: D,
      });
      for (let r = 0; r < rows; r++)
        expect(back.subarray(r * 3 * D + offset, r * 3 * D + offset + D)).toEqual(
          qkv.subarray(r * 3 * D + offset, r * 3 * D + offset + D),
        );
    }
    expect(() =>
      native!.copyBlock({
        src: qkv,
        srcStride: 3 * D,
        srcOffset: 2 * D + 1,
        dst: new Float32Array(rows * D),
        dstStride: D,
        dstOffset: 0,
        rows,
        width: D,
      }),
    ).toThrow(/strides/);
  });

  it("copyBlock with source stride 0 broadcasts one row (bias)", () => {
    const bias = randomF32(7, 16);
    for (const be of [tsBackend, native!]) {
      const out = new Float32Array(5 * 9);
      be.copyBlock({
        src: bias,
        srcStride: 0,
        srcOffset: 0,
        dst: out,
        dstStride: 9,
        dstOffset: 1,
        rows: 5,
        width: 7,
      });
      for (let r = 0; r < 5; r++) {
        expect(out.subarray(r * 9 + 1, r * 9 + 8), be.name).toEqual(bias);
        expect(out[r * 9], be.name).toBe(0);
      }
    }
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
    // Bit for bit: both sum each row's squares in double in column order (native: 8 rows side by
    // side, then leftovers one at a time; 300 rows leave some).
    expect(b.out).toEqual(a.out);
    expect(b.rstd).toEqual(a.rstd);
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
