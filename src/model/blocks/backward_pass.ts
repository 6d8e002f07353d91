import type { Backend } from "../../backend/backend.js";
import { CspError } from "../../errors.js";
import { Tensor, type FloatArray } from "../../tensor/tensor.js";
import type { WeightGradMode } from "../layers/linear.js";
import type { Model } from "../model.js";
import { sparseWeightOf, type SparseLinearWeight } from "../sparse_weights.js";
import type { HookCache } from "./forward_pass.js";

/** The sparse path of a linear weight for linearBackward, and how its gradient is taken there. */
export interface SparseGrad {
  sparse: SparseLinearWeight | undefined;
  weightGrad: WeightGradMode;
}

/** The state every block of one backward pass shares. */
export interface BackwardPass {
  model: Model<FloatArray>;
  be: Backend;
  b: number;
  t: number;
  n: number;
  /** The input token ids [B·T]. */
  ids: Int32Array;
  /** A zeroed array of `len` floats of the model's float type (from the forward's workspace, if any). */
  alloc(len: number): FloatArray;
  /** An array of `len` floats that the caller overwrites entirely before reading it (not zeroed). */
  scratch(len: number): FloatArray;
  /**
   * A copy of `src` in a scratch array: a fresh copy (slice) of a multi-MB gradient also pays page
   * faults and garbage collection (2 per layer: ~6 ms of the benchmark's 0.4-s training step).
   */
  copy(src: FloatArray): FloatArray;
  /** The gradient array of parameter `name`; undefined for one that is not trained. */
  grad(name: string): FloatArray | undefined;
  weightGrad: WeightGradMode;
  /** The sparse path of linear weight `name` [rows, cols], when it takes one. */
  sparseOf(name: string, rows: number, cols: number): SparseGrad;
  /**
   * Gradient through a hook point of width `width` (absent from `entry`: the point was not passed):
   * recorded when asked for, then taken through the intervention if there was one.
   */
  hookBack(entry: HookCache | undefined, dOut: FloatArray, width: number): FloatArray;
  /** d loss / d wpe[0:T] [T, d_pos] of the concatenated positions, summed over every sublayer. */
  dPosTable: FloatArray;
}

export interface BackwardPassOptions {
  b: number;
  t: number;
  ids: Int32Array;
  backend: Backend;
  alloc(len: number): FloatArray;
  scratch(len: number): FloatArray;
  grads: Map<string, Tensor>;
  sparseThreshold: number;
  weightGrad: WeightGradMode;
  /** Record d loss / d activation at hook points whose name matches `record`, into `hookGrads`. */
  saveHookGrads: boolean;
  record?: RegExp;
  hookGrads: Map<string, Tensor>;
}

export function createBackwardPass(model: Model<FloatArray>, o: BackwardPassOptions): BackwardPass {
  const { b, t, weightGrad } = o;
  return {
    model,
    be: o.backend,
    b,
    t,
    n: b * t,
    ids: o.ids,
    alloc: o.alloc,
    scratch: o.scratch,
    copy(src) {
      const out = o.scratch(src.length);
      out.set(src);
      return out;
    },
    grad: (name) => o.grads.get(name)?.data,
    weightGrad,
    sparseOf: (name, rows, cols) => ({
      sparse: sparseWeightOf(model.params.get(name)!, rows, cols, o.sparseThreshold, o.backend),
      weightGrad,
    }),
    hookBack(entry, dOut, width) {
      if (!entry) return dOut;
      if (o.saveHookGrads && o.record?.test(entry.name))
        o.hookGrads.set(entry.name, new Tensor(dOut.slice(), [b, t, width]));
      if (!entry.intervention) return dOut;
      if (!entry.intervention.backward) {
        throw new CspError(
          `the intervention at ${entry.name} has no backward; gradients cannot pass through it`,
        );
      }
      return entry.intervention.backward(new Tensor(dOut, [b, t, width]), entry.input!).data;
    },
    dPosTable: o.alloc(t * model.dims.dPos),
  };
}
