import { CspError } from "../errors.js";
import { csrToDense } from "../tensor/sparse.js";
import { Tensor, shapeString } from "../tensor/tensor.js";
import type { Model } from "./model.js";
import { invalidateSparseWeight } from "./sparse_weights.js";

// Why edits go through these functions: the forward multiplies by a CSR (model/sparse_weights.ts) cached
// per dense weight array and built once. An in-place write the cache is not told about leaves the forward
// computing with the old weights, silently. Checking freshness on every forward would cost a pass over
// all weights, as much as the dense product the sparse path avoids; so instead every write made here
// drops the cached form of what it wrote, and reads hand out copies that cannot be written through.

function tensorOf(model: Model, name: string): Tensor<Float32Array> {
  const t = model.params.get(name);
  if (!t) throw new CspError(`"${name}" is not a parameter of this model (e.g. "lm_head.weight")`);
  return t;
}

/** A copy of parameter `name`. A weight held sparse is copied from its CSR and stays sparse. */
export function readWeight(model: Model, name: string): Tensor<Float32Array> {
  const t = tensorOf(model, name);
  const held = t.heldCsr;
  return new Tensor(held ? csrToDense(held) : t.data.slice(), t.shape);
}

/**
 * Overwrites parameter `name` with `values` (row-major, its size), in place: models sharing the tensor
 * (frozen views of this one) see the edit too. Its cached sparse form is dropped.
 */
export function writeWeight(model: Model, name: string, values: ArrayLike<number>): void {
  const t = tensorOf(model, name);
  if (values.length !== t.size)
    throw new CspError(
      `"${name}" has shape ${shapeString(t.shape)} (${t.size} values), got ${values.length}`,
    );
  const data = t.data;
  data.set(values);
  invalidateSparseWeight(data);
}

/**
 * Runs `edit` with `weight(name)`: the live array of a parameter, to write in place. Every parameter
 * `edit` asked for has its cached sparse form dropped when it returns or throws, so the next forward
 * sees the edits. Keep no reference to the arrays afterwards: later writes through them go unseen.
 */
export function editWeights<R>(model: Model, edit: (weight: (name: string) => Float32Array) => R): R {
  const touched = new Set<Float32Array>();
  try {
    return edit((name) => {
      const data = tensorOf(model, name).data;
      touched.add(data);
      return data;
    });
  } finally {
    for (const data of touched) invalidateSparseWeight(data);
  }
}
