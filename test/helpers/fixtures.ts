import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readSafetensors } from "../../src/io/safetensors.js";
import { loadModel } from "../../src/model/checkpoint.js";

/** ../shared/fixtures next to the repository: numbers produced by the reference implementation. */
export const FIXTURES = resolve(fileURLToPath(import.meta.url), "../../../../shared/fixtures");

export const PARITY_CASES = ["sink-afrac", "dense-plain"] as const;

export function parityDir(name: string): string {
  const dir = join(FIXTURES, "parity", name);
  if (!existsSync(dir))
    throw new Error(`fixture ${dir} is missing: the shared fixtures must sit beside the repo`);
  return dir;
}

/** max |a − b| / max |b|: the fixtures' relative max error. */
export function relMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return den === 0 ? num : num / den;
}

/** A parity case: its model, the reference outputs, and the batch they were computed on. */
export function loadParityCase(name: string) {
  const dir = parityDir(name);
  const expected = readSafetensors(join(dir, "expected.safetensors")).tensors;
  const [b, t] = expected.get("input_ids")!.shape;
  return {
    dir,
    expected,
    model: loadModel(dir),
    ids: expected.get("input_ids")!.data as Int32Array,
    targets: expected.get("targets")!.data as Int32Array,
    b,
    t,
  };
}
