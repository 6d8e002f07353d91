import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getBackend, setBackend } from "../../src/backend/index.js";
import { nativeThreads } from "../../src/backend/native.js";
import { backendsUnderTest, expectClose, naiveGemm, randomF32 } from "./helpers.js";

const MODES = [
  { transA: false, transB: false },
  { transA: false, transB: true },
  { transA: true, transB: false },
  { transA: true, transB: true },
];
const ODD_SIZES = [1, 3, 17, 65, 130];
const label = (t: boolean) => (t ? "T" : "N");

for (const name of backendsUnderTest()) {
  describe(`gemm on the ${name} backend`, () => {
    beforeAll(() => {
      setBackend(name);
    });

    for (const { transA, transB } of MODES) {
      for (const accumulate of [false, true]) {
        const mode = `${label(transA)}${label(transB)}${accumulate ? " accumulate" : ""}`;

        it(`${mode}: every combination of odd sizes matches the float64 triple loop`, () => {
          const backend = getBackend();
          expect(backend.name).toBe(name);
          let seed = 1;
          for (const m of ODD_SIZES) {
            for (const n of ODD_SIZES) {
              for (const k of ODD_SIZES) {
                const a = randomF32(m * k, seed++);
                const b = randomF32(k * n, seed++);
                const c = randomF32(m * n, seed++);
                const expected = naiveGemm(transA, transB, m, n, k, a, b, accumulate ? c.slice() : null);
                backend.gemm(transA, transB, m, n, k, a, b, c, accumulate);
                expectClose(c, expected, `${mode} m=${m} n=${n} k=${k}`);
              }
            }
          }
        });
      }

      it(`${label(transA)}${label(transB)}: sizes past every cache block, and few rows with many columns`, () => {
        // 170×2080×260 crosses the native kernel's MC, NC and KC blocks; 3×1000×700 takes its
        // few-rows path. Both are large enough to run on two threads.
        for (const [m, n, k] of [
          [170, 2080, 260],
          [3, 1000, 700],
        ]) {
          const a = randomF32(m * k, 11);
          const b = randomF32(k * n, 12);
          const c = randomF32(m * n, 13);
          const expected = naiveGemm(transA, transB, m, n, k, a, b, c.slice());
          getBackend().gemm(transA, transB, m, n, k, a, b, c, true);
          expectClose(c, expected, `${label(transA)}${label(transB)} m=${m} n=${n} k=${k}`);
        }
      });
    }

    it("k = 0 clears C, or leaves it as it was when accumulating", () => {
      const backend = getBackend();
      const c = randomF32(12, 5);
      const before = c.slice();
      backend.gemm(false, true, 3, 4, 0, new Float32Array(0), new Float32Array(0), c, true);
      expect(c).toEqual(before);
      backend.gemm(false, true, 3, 4, 0, new Float32Array(0), new Float32Array(0), c, false);
      expect(Array.from(c)).toEqual(new Array(12).fill(0));
    });

    it("works on views with a byte offset and writes nothing outside C's view", () => {
      const [m, n, k] = [17, 33, 65];
      const aBuf = randomF32(m * k + 5, 21);
      const bBuf = randomF32(k * n + 3, 22);
      const cBuf = randomF32(m * n + 14, 23);
      const a = aBuf.subarray(5);
      const b = bBuf.subarray(3, 3 + k * n);
      const c = cBuf.subarray(7, 7 + m * n);
      const outside = [...cBuf.subarray(0, 7), ...cBuf.subarray(7 + m * n)];
      const expected = naiveGemm(false, true, m, n, k, a, b, c.slice());
      getBackend().gemm(false, true, m, n, k, a, b, c, true);
      expectClose(c, expected, "offset views");
      expect([...cBuf.subarray(0, 7), ...cBuf.subarray(7 + m * n)]).toEqual(outside);
    });
  });
}

if (backendsUnderTest().includes("native")) {
  describe("native gemm across thread counts", () => {
    let initial = 1;
    beforeAll(() => {
      setBackend("native");
      initial = nativeThreads();
    });
    afterAll(() => {
      nativeThreads(initial);
    });

    it("is bit-identical on 1, 2 and 3 threads where every chunk re-packs the shared operand", () => {
      // 45×1100 splits C by columns (A re-packed per chunk), 600×90 by rows (B re-packed); k = 301
      // and 290 end in a short KC slice that is not a multiple of the 16-wide packing transpose,
      // and the operands are views one float off alignment.
      for (const [m, n, k] of [
        [45, 1100, 301],
        [600, 90, 290],
      ]) {
        for (const { transA, transB } of MODES) {
          const mode = `${label(transA)}${label(transB)} m=${m} n=${n} k=${k}`;
          const a = randomF32(m * k + 1, 31).subarray(1);
          const b = randomF32(k * n + 1, 32).subarray(1);
          const c0 = randomF32(m * n, 33);
          const results = [1, 2, 3].map((threads) => {
            expect(nativeThreads(threads)).toBe(threads);
            const c = c0.slice();
            getBackend().gemm(transA, transB, m, n, k, a, b, c, true);
            return c;
          });
          expectClose(results[0], naiveGemm(transA, transB, m, n, k, a, b, c0.slice()), mode);
          for (const c of results.slice(1)) {
            expect(Buffer.from(c.buffer).equals(Buffer.from(results[0].buffer)), mode).toBe(true);
          }
        }
      }
    });
  });
}
