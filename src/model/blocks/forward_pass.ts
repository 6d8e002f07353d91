import type { Backend } from "../../backend/backend.js";
import { CspError } from "../../errors.js";
import { Tensor, allocLike, type FloatArray } from "../../tensor/tensor.js";
import { topkCount, type Loctype } from "../config.js";
import type { Intervention } from "../hooks.js";
import { param, type Model } from "../model.js";
import { sparseWeightOf, type SparseLinearWeight } from "../sparse_weights.js";
import type { StepWorkspace } from "../workspace.js";

/** What backward() needs of one hook point. */
export interface HookCache {
  name: string;
  /** Input to the intervention, when there was one. */
  input?: Tensor;
  intervention?: Intervention;
}

/** A linear weight as linearForward takes it: its sparse form on the sparse path, else its dense data. */
export type LinearWeight = { sparse: SparseLinearWeight } | { w: FloatArray };

/**
 * The state every block of one forward pass shares: the batch (n = B·T rows), the backend, where its
 * arrays come from, and the hook points (interventions applied, activations recorded).
 */
export interface ForwardPass {
  model: Model<FloatArray>;
  be: Backend;
  b: number;
  t: number;
  n: number;
  /** Keep what backward() needs. */
  keep: boolean;
  /** A zeroed array of `len` floats of the model's float type (from the workspace, if any). */
  alloc(len: number): FloatArray;
  /**
   * An array of `len` floats that the caller overwrites entirely before reading it: from the
   * workspace, if any, not zeroed (StepWorkspace.scratchFloats); else fresh.
   */
  scratch(len: number): FloatArray;
  /**
   * An array that no later layer reads and that the caller overwrites entirely: reused across layers
   * under `key` when nothing outlives its layer (inference without interventions), otherwise a
   * scratch().
   */
  temp(key: string, len: number): FloatArray;
  /** AbsTopK in place on x [n, width] when the config sparsifies `loc`; returns what it kept. */
  topk(loc: Loctype, x: FloatArray, width: number): Uint8Array | undefined;
  /**
   * The hook point `name` of an activation [B, T, width]: applies its intervention, if any, and
   * records; returns the activation used downstream. `store` receives what backward() needs.
   */
  hook(name: string, width: number, data: FloatArray, store: Map<string, HookCache>): FloatArray;
  /** Linear weight `name` [rows, cols] (a weight held sparse is never built dense on the sparse path). */
  linearWeight(name: string, rows: number, cols: number): LinearWeight;
}

export interface ForwardPassOptions {
  b: number;
  t: number;
  keep: boolean;
  backend: Backend;
  record?: RegExp;
  interventions?: Map<string, Intervention>;
  sparseThreshold: number;
  workspace?: StepWorkspace;
  /** Receives the recorded activations (copies), by hook name. */
  recorded: Map<string, Tensor>;
}

export function createForwardPass(model: Model<FloatArray>, o: ForwardPassOptions): ForwardPass {
  const { b, t, keep, backend: be, interventions, workspace: ws } = o;
  const n = b * t;
  const like = param(model, "transformer.ln_f.weight");
  const alloc = (len: number) => (ws ? ws.floats(like, len) : allocLike(like, len));
  const scratchArray = (len: number) => (ws ? ws.scratchFloats(like, len) : allocLike(like, len));
  // Without a cache or interventions, no per-layer buffer outlives its layer (hooks record copies),
  // so each is reused across layers: less allocation and garbage, a lower peak memory in inference.
  // An intervention might keep a reference to the activation it was given, so then nothing is reused.
  const reuse = !keep && !(interventions && interventions.size > 0);
  const reusedTemps = new Map<string, FloatArray>();
  const keptScratch = new Map<string, Uint8Array>();
  const keptMask = (key: string, len: number): Uint8Array => {
    if (!reuse) return ws ? ws.mask(len) : new Uint8Array(len);
    let buf = keptScratch.get(key);
    if (!buf || buf.length !== len) keptScratch.set(key, (buf = new Uint8Array(len)));
    return buf;
  };
  return {
    model,
    be,
    b,
    t,
    n,
    keep,
    alloc,
    scratch: scratchArray,
    temp(key, len) {
      if (!reuse) return scratchArray(len);
      let buf = reusedTemps.get(key);
      if (!buf || buf.length !== len) reusedTemps.set(key, (buf = alloc(len)));
      return buf;
    },
    topk(loc, x, width) {
      const frac = model.dims.afrac[loc];
      if (frac === undefined) return undefined;
      const kept = keptMask(loc, n * width);
      be.absTopK(x, n, width, topkCount(frac, width), kept);
      return kept;
    },
    hook(name, width, data, store) {
      const shape = [b, t, width];
      let out = data;
      const iv = interventions?.get(name);
      const entry: HookCache = { name };
      if (iv) {
        const input = new Tensor(data, shape);
        const replaced = iv.forward(keep ? input.clone() : input);
        if (replaced.size !== data.length) {
          throw new CspError(
            `intervention at ${name} returned ${replaced.size} values, expected ${data.length}`,
          );
        }
        out = replaced.data;
        if (keep) {
          entry.input = input;
          entry.intervention = iv;
        }
      }
      store.set(name, entry);
      if (o.record?.test(name)) o.recorded.set(name, new Tensor(out.slice(), shape));
      return out;
    },
    linearWeight(name, rows, cols) {
      const sparse = sparseWeightOf(model.params.get(name)!, rows, cols, o.sparseThreshold, o.backend);
      return sparse ? { sparse } : { w: param(model, name) };
    },
  };
}
