import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, expect } from "vitest";
import { CspError } from "../../../src/errors.js";
import type { StoredTensor, TensorMap } from "../../../src/io/safetensors.js";

/** Our generated torch fixtures (test/fixtures/torch, made by make.py with real torch). */
export const TORCH_FIXTURES = resolve(fileURLToPath(import.meta.url), "../../../fixtures/torch");
/** The shared reference fixtures beside the repository. */
export const SHARED = resolve(fileURLToPath(import.meta.url), "../../../../../shared/fixtures");
export const SHARED_PT_DIR = join(SHARED, "torch-pt/sink-afrac");
export const SHARED_PT = join(SHARED_PT_DIR, "final_model.pt");
export const PARITY_WEIGHTS = join(SHARED, "parity/sink-afrac/model.safetensors");

export function fixture(name: string): string {
  return join(TORCH_FIXTURES, name);
}

/** What make.py wrote next to a fixture: torch's own view of every tensor. */
export interface ExpectedTensor {
  dtype: string;
  shape: number[];
  values: number[];
}

export function expectedTensors(jsonPath: string): Record<string, ExpectedTensor> {
  return JSON.parse(readFileSync(jsonPath, "utf8")) as Record<string, ExpectedTensor>;
}

/** Element-wise identity (Object.is: -0 ≠ 0, NaN = NaN), reporting the first difference. */
export function expectSameValues(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      expect.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

/** Bitwise equality of two tensor maps (same names, dtypes, shapes and bytes). */
export function expectBitwiseEqual(actual: TensorMap, expected: TensorMap): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [name, e] of expected) {
    const a = actual.get(name) as StoredTensor;
    expect(a.dtype, name).toBe(e.dtype);
    expect(a.shape, name).toEqual(e.shape);
    const ab = Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength);
    const eb = Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength);
    expect(ab.equals(eb), `${name}: bytes differ`).toBe(true);
  }
}

/** Runs `fn` and returns the CspError it throws (failing the test if it throws nothing or something else). */
export function cspError(fn: () => unknown): CspError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CspError) {
      expect(e.message.includes("\n"), "CspError message must be one line").toBe(false);
      return e;
    }
    throw e;
  }
  return expect.fail("expected a CspError, nothing was thrown");
}

const tempDirs: string[] = [];
afterEach(() => {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary directory, removed after the test. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "csp-torch-"));
  tempDirs.push(d);
  return d;
}
