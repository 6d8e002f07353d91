import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  loadNativeAddon,
  loadNativeBackend,
  nativeThreads,
  type NativeAddon,
} from "../../src/backend/native.js";
import { GEMM_TRANSPOSES, backendsUnderTest, randomCsr, randomF32 } from "./helpers.js";

// Native-only behaviour: the addon must be there, must reject bad arguments with a JS error before
// touching memory, and must give bit-identical results whatever its thread count.

const nativeRequired = backendsUnderTest().includes("native");

if (!nativeRequired) {
  it("CSP_ALLOW_NO_NATIVE=1 and the addon really is absent", () => {
    expect(process.env.CSP_ALLOW_NO_NATIVE).toBe("1");
    expect(loadNativeBackend().error).toMatch(/./);
  });
}

function addon(): NativeAddon {
  const { addon, error } = loadNativeAddon();
  if (!addon) throw new Error(`native addon unavailable: ${error}`);
  return addon;
}

if (nativeRequired) {
  describe("native addon", () => {
    it("is built and loads", () => {
      const { backend, error } = loadNativeBackend();
      expect(error).toBeUndefined();
      expect(backend?.name).toBe("native");
    });

    describe("argument validation", () => {
      const f32 = (n: number) => new Float32Array(n);
      const w = randomCsr(4, 6, 0.5, 1);
      const nnz = w.rowPtr[4];

      it("gemm rejects wrong types with TypeError", () => {
        const a = addon();
        expect(() => a.gemm(0 as unknown as boolean, false, 1, 1, 1, f32(1), f32(1), f32(1), false)).toThrow(
          TypeError,
        );
        expect(() =>
          a.gemm(false, false, "1" as unknown as number, 1, 1, f32(1), f32(1), f32(1), false),
        ).toThrow(TypeError);
        const f64 = new Float64Array(1) as unknown as Float32Array;
        expect(() => a.gemm(false, false, 1, 1, 1, f64, f32(1), f32(1), false)).toThrow(
          /A must be a Float32Array/,
        );
        expect(() =>
          a.gemm(false, false, 1, 1, 1, f32(1), [1] as unknown as Float32Array, f32(1), false),
        ).toThrow(TypeError);
        const missing = a.gemm as unknown as (...args: unknown[]) => void;
        expect(() => missing(false, false, 1, 1)).toThrow(/expected 9 arguments/);
      });

      it("gemm rejects bad sizes with RangeError and leaves C untouched", () => {
        const a = addon();
        const c = Float32Array.from([7, 7, 7, 7]);
        expect(() => a.gemm(false, false, 2, 2, 3, f32(5), f32(6), c, false)).toThrow(
          /A has 5 elements, needs 6/,
        );
        expect(() => a.gemm(false, false, 2, 2, 3, f32(6), f32(6), f32(3), false)).toThrow(RangeError);
        expect(() => a.gemm(false, false, -1, 2, 3, f32(6), f32(6), c, false)).toThrow(RangeError);
        expect(() => a.gemm(false, false, 1.5, 2, 3, f32(6), f32(6), c, false)).toThrow(RangeError);
        expect(() => a.gemm(false, false, 2 ** 31, 2, 3, f32(6), f32(6), c, false)).toThrow(RangeError);
        expect(Array.from(c)).toEqual([7, 7, 7, 7]);
      });

      it("gemm refuses an output that shares memory with an input", () => {
        const buf = new Float32Array(16);
        expect(() =>
          addon().gemm(
            false,
            false,
            2,
            2,
            2,
            buf.subarray(0, 4),
            buf.subarray(8, 12),
            buf.subarray(2, 6),
            false,
          ),
        ).toThrow(/C must not share memory with A/);
      });

      it("the backend wrapper rejects Float64Array for native gemm", () => {
        const backend = loadNativeBackend().backend!;
        expect(() => backend.gemm(false, false, 1, 1, 1, new Float64Array(1), f32(1), f32(1), false)).toThrow(
          TypeError,
        );
      });

      it("spmm and sddmm reject wrong types with TypeError", () => {
        const a = addon();
        const asF32 = w.colIdx as unknown as Float32Array;
        const asI32 = w.values as unknown as Int32Array;
        expect(() => a.spmmNT(2, f32(12), 4, 6, w.rowPtr, w.colIdx, asF32, f32(8), false)).toThrow(TypeError);
        expect(() => a.spmmNN(2, f32(8), 4, 6, w.rowPtr, asI32, w.values, f32(12), false)).toThrow(
          /colIdx must be an Int32Array/,
        );
        expect(() =>
          a.sddmm(2, f32(8), f32(12), 4, 6, w.rowPtr, w.colIdx, null as unknown as Float32Array),
        ).toThrow(TypeError);
        expect(() =>
          a.spmmNT(2, f32(12), 4, 6, w.rowPtr, w.colIdx, w.values, f32(8), 1 as unknown as boolean),
        ).toThrow(/accumulate must be a boolean/);
      });

      it("spmm and sddmm reject short arrays and malformed CSR with RangeError, writing nothing", () => {
        const a = addon();
        const y = f32(8).fill(3);
        const badIdx = w.colIdx.slice();
        badIdx[nnz - 1] = 6;
        const negIdx = w.colIdx.slice();
        negIdx[0] = -1;
        const decreasing = w.rowPtr.slice();
        decreasing[2] = decreasing[3] + 1;
        const pastEnd = w.rowPtr.slice();
        pastEnd[4] = nnz + 1;
        const cases: [string, () => void, RegExp][] = [
          [
            "short x",
            () => a.spmmNT(2, f32(11), 4, 6, w.rowPtr, w.colIdx, w.values, y, false),
            /x has 11 elements, needs 12/,
          ],
          [
            "short y",
            () => a.spmmNT(2, f32(12), 4, 6, w.rowPtr, w.colIdx, w.values, f32(7), false),
            /y has 7/,
          ],
          [
            "short rowPtr",
            () => a.spmmNT(2, f32(12), 4, 6, w.rowPtr.subarray(0, 4), w.colIdx, w.values, y, false),
            /rowPtr/,
          ],
          [
            "column ≥ cols",
            () => a.spmmNT(2, f32(12), 4, 6, w.rowPtr, badIdx, w.values, y, false),
            /outside \[0, 6\)/,
          ],
          [
            "negative column",
            () => a.spmmNN(2, f32(8), 4, 6, w.rowPtr, negIdx, w.values, f32(12), false),
            /outside/,
          ],
          [
            "decreasing rowPtr",
            () => a.spmmNT(2, f32(12), 4, 6, decreasing, w.colIdx, w.values, y, false),
            /nondecreasing/,
          ],
          [
            "rowPtr past nnz",
            () => a.spmmNT(2, f32(12), 4, 6, pastEnd, w.colIdx, w.values, y, false),
            /exceeds/,
          ],
          [
            "short values",
            () => a.spmmNT(2, f32(12), 4, 6, w.rowPtr, w.colIdx, w.values.subarray(1), y, false),
            /exceeds/,
          ],
          ["short out", () => a.sddmm(2, f32(8), f32(12), 4, 6, w.rowPtr, w.colIdx, f32(nnz - 1)), /exceeds/],
          ["short dy", () => a.sddmm(2, f32(7), f32(12), 4, 6, w.rowPtr, w.colIdx, f32(nnz)), /dy has 7/],
        ];
        for (const [why, call, message] of cases) {
          expect(call, why).toThrow(RangeError);
          expect(call, why).toThrow(message);
        }
        expect(Array.from(y)).toEqual(new Array(8).fill(3));
      });

      it("spmm refuses an output that shares memory with the indices or the input", () => {
        const a = addon();
        const shared = new Int32Array(64);
        shared.set(w.colIdx);
        const y = new Float32Array(shared.buffer, 0, 8);
        expect(() =>
          a.spmmNT(2, f32(12), 4, 6, w.rowPtr, shared.subarray(0, nnz), w.values, y, false),
        ).toThrow(/y must not share memory with colIdx/);
        const buf = f32(40);
        expect(() =>
          a.spmmNN(2, buf.subarray(0, 8), 4, 6, w.rowPtr, w.colIdx, w.values, buf.subarray(4, 16), false),
        ).toThrow(/dx must not share memory with dy/);
      });

      it("denseToCsr trusts no nonzero count: arrays sized for a wrong one are a RangeError, left untouched", () => {
        const a = addon();
        const dense = new Float32Array([0, 1.5, 0, -0, 2, 0, 0, 0, 3]); // 3 nonzeros (-0 is zero)
        const i32 = (n: number) => new Int32Array(n).fill(-7);
        for (const n of [2, 4]) {
          const idx = i32(n);
          const val = f32(n).fill(-7);
          expect(() => a.denseToCsr(dense, 3, 3, i32(4), idx, val), `${n}`).toThrow(
            new RegExp(`the matrix has 3 nonzeros, colIdx and values hold ${n}`),
          );
          expect(Array.from(idx), `${n}`).toEqual(Array(n).fill(-7));
          expect(Array.from(val), `${n}`).toEqual(Array(n).fill(-7));
        }
        expect(() => a.denseToCsr(dense, 3, 3, i32(4), i32(3), f32(2))).toThrow(
          /colIdx has 3 elements and values 2/,
        );
        const ptr = i32(4);
        const idx = i32(3);
        const val = f32(3);
        a.denseToCsr(dense, 3, 3, ptr, idx, val);
        expect([Array.from(ptr), Array.from(idx), Array.from(val)]).toEqual([
          [0, 1, 2, 3],
          [1, 1, 2],
          [1.5, 2, 3],
        ]);
      });

      it("threads() rejects counts outside 1..64", () => {
        expect(() => addon().threads(0)).toThrow(RangeError);
        expect(() => addon().threads(65)).toThrow(RangeError);
      });
    });

    describe("determinism", () => {
      let initial = 1;
      beforeAll(() => {
        initial = nativeThreads();
      });
      afterAll(() => {
        nativeThreads(initial);
      });

      /** Runs every kernel once with the given thread count and returns all outputs. */
      function runAll(threads: number): Float32Array[] {
        expect(nativeThreads(threads)).toBe(threads);
        const a = addon();
        const outs: Float32Array[] = [];
        for (const [m, n, k] of [
          [300, 301, 517],
          [3, 1000, 700],
        ]) {
          for (const [ta, tb] of GEMM_TRANSPOSES) {
            const c = randomF32(m * n, 3);
            a.gemm(ta, tb, m, n, k, randomF32(m * k, 1), randomF32(k * n, 2), c, true);
            outs.push(c);
          }
        }
        for (const [tokens, rows, cols, density] of [
          [300, 260, 1030, 0.05],
          [40, 700, 900, 0.05],
          [4, 700, 900, 0.25],
        ]) {
          const w = randomCsr(rows, cols, density, 9);
          const x = randomF32(tokens * cols, 4);
          const dy = randomF32(tokens * rows, 5);
          const y = randomF32(tokens * rows, 6);
          a.spmmNT(tokens, x, rows, cols, w.rowPtr, w.colIdx, w.values, y, true);
          const dx = randomF32(tokens * cols, 7);
          a.spmmNN(tokens, dy, rows, cols, w.rowPtr, w.colIdx, w.values, dx, true);
          const g = new Float32Array(w.rowPtr[rows]);
          a.sddmm(tokens, dy, x, rows, cols, w.rowPtr, w.colIdx, g);
          outs.push(y, dx, g);
        }
        return outs;
      }

      it("one, two and three threads give bit-identical results, and repeated runs too", () => {
        const one = runAll(1);
        const two = runAll(2);
        const three = runAll(3);
        const again = runAll(2);
        for (let i = 0; i < one.length; i++) {
          expect(
            Buffer.from(two[i].buffer).equals(Buffer.from(one[i].buffer)),
            `output ${i}, 2 vs 1 threads`,
          ).toBe(true);
          expect(
            Buffer.from(three[i].buffer).equals(Buffer.from(one[i].buffer)),
            `output ${i}, 3 vs 1 threads`,
          ).toBe(true);
          expect(Buffer.from(again[i].buffer).equals(Buffer.from(two[i].buffer)), `output ${i}, rerun`).toBe(
            true,
          );
        }
      });
    });
  });
}
