import { expect, it } from "vitest";
import type { Backend } from "../../src/backend/backend.js";
import type { BackendName } from "../../src/backend/index.js";
import { loadNativeBackend } from "../../src/backend/native.js";
import type { CsrMatrix } from "../../src/tensor/sparse.js";
import { mulberry32Unit } from "../../src/random/frozen_mulberry32.js";

/**
 * The backends the kernel specs run on. Native is required: without the addon its describe block
 * fails, unless CSP_ALLOW_NO_NATIVE=1 says this machine has no compiler (then only ts runs, and
 * native-addon.test.ts checks that the addon really is absent).
 */
export function backendsUnderTest(): BackendName[] {
  const nativeMissingAllowed = process.env.CSP_ALLOW_NO_NATIVE === "1" && !loadNativeBackend().backend;
  return nativeMissingAllowed ? ["ts"] : ["ts", "native"];
}

/**
 * The native backend for a native-vs-oracle spec, called inside its describe block. Without the addon
 * it registers one test instead — failing, or passing when CSP_ALLOW_NO_NATIVE=1 says this machine has
 * no compiler — and returns undefined, and the describe block returns early.
 */
export function nativeUnderTest(): Backend | undefined {
  const { backend: native, error } = loadNativeBackend();
  if (native) return native;
  if (process.env.CSP_ALLOW_NO_NATIVE === "1")
    it("native addon absent (allowed by CSP_ALLOW_NO_NATIVE)", () => expect(native).toBeUndefined());
  else it("native addon loads", () => expect.fail(`native addon unavailable: ${error}`));
  return undefined;
}

/** The four (transA, transB) cases of gemm. */
export const GEMM_TRANSPOSES: readonly (readonly [boolean, boolean])[] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

/** mulberry32: uniform numbers in [0, 1) from a 32-bit seed (frozen: test/helpers/random.ts says why). */
export function seeded(seed: number): () => number {
  return mulberry32Unit(seed);
}

/** n values uniform in [-1, 1). */
export function randomF32(n: number, seed: number): Float32Array {
  const rand = seeded(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 2 * rand() - 1;
  return out;
}

/** A random [rows, cols] CSR matrix; rows listed in `emptyRows` get no nonzeros. */
export function randomCsr(
  rows: number,
  cols: number,
  density: number,
  seed: number,
  emptyRows: number[] = [],
): CsrMatrix {
  const rand = seeded(seed);
  const empty = new Set(emptyRows);
  const rowPtr = new Int32Array(rows + 1);
  const colIdx: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (!empty.has(r) && rand() < density) {
        colIdx.push(c);
        values.push(2 * rand() - 1);
      }
    }
    rowPtr[r + 1] = colIdx.length;
  }
  return { rows, cols, rowPtr, colIdx: Int32Array.from(colIdx), values: Float32Array.from(values) };
}

/** The dense [rows, cols] matrix of a CSR one, in float64 (duplicates add up). */
export function denseOf(w: CsrMatrix): Float64Array {
  const out = new Float64Array(w.rows * w.cols);
  for (let r = 0; r < w.rows; r++) {
    for (let p = w.rowPtr[r]; p < w.rowPtr[r + 1]; p++) out[r * w.cols + w.colIdx[p]] += w.values[p];
  }
  return out;
}

/**
 * An expected value with the error a float32 computation may make: `scale` is Σ|terms|, and a sum of
 * n float32 products in any order is within about n·2⁻²⁴·Σ|terms| of the exact value.
 */
export interface Expected {
  value: Float64Array;
  scale: Float64Array;
  terms: number;
}

/** Asserts |actual − expected| ≤ 4·(terms + 2)·2⁻²⁴·scale everywhere, naming the first bad index. */
export function expectClose(actual: ArrayLike<number>, expected: Expected, what: string): void {
  expect(actual.length, `${what}: length`).toBeGreaterThanOrEqual(expected.value.length);
  const unit = 4 * (expected.terms + 2) * 2 ** -24;
  for (let i = 0; i < expected.value.length; i++) {
    const err = Math.abs(actual[i] - expected.value[i]);
    const tol = unit * expected.scale[i] + 1e-30;
    if (!(err <= tol)) {
      throw new Error(
        `${what}: element ${i} is ${actual[i]}, expected ${expected.value[i]} (tolerance ${tol})`,
      );
    }
  }
}

/** op(A)·op(B) (+ C0) by the textbook triple loop in float64, with Σ|terms| for the tolerance. */
export function naiveGemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c0: Float32Array | null,
): Expected {
  const value = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = c0 ? c0[i * n + j] : 0;
      let abs = Math.abs(s);
      for (let p = 0; p < k; p++) {
        const av = transA ? a[p * m + i] : a[i * k + p];
        const bv = transB ? b[j * k + p] : b[p * n + j];
        s += av * bv;
        abs += Math.abs(av * bv);
      }
      value[i * n + j] = s;
      scale[i * n + j] = abs;
    }
  }
  return { value, scale, terms: k + 1 };
}
