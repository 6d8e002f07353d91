import { getBackend } from "../backend/index.js";
import { IGNORE_INDEX, type Backend } from "../backend/backend.js";
import { CspError } from "../errors.js";
import { Tensor, allocLike, type FloatArray } from "../tensor/tensor.js";
import {
  attentionBlockBackward,
  attentionBlockForward,
  type AttentionBlockCache,
} from "./blocks/attention_block.js";
import { createBackwardPass } from "./blocks/backward_pass.js";
import { embedBackward, embedForward } from "./blocks/embed.js";
import {
  finalNormAndUnembedBackward,
  finalNormAndUnembedForward,
  type FinalBlockCache,
} from "./blocks/final_norm_and_unembed.js";
import { createForwardPass } from "./blocks/forward_pass.js";
import { mlpBlockBackward, mlpBlockForward, type MlpBlockCache } from "./blocks/mlp_block.js";
import type { Intervention } from "./hooks.js";
import { crossEntropy } from "./layers/cross_entropy.js";
import type { WeightGradMode } from "./layers/linear.js";
import { param, type Model } from "./model.js";
import { DEFAULT_SPARSE_THRESHOLD, invalidateSparseWeight } from "./sparse_weights.js";
import type { StepWorkspace } from "./workspace.js";

// The GPT's forward and its explicit backward, llm.c style: one function per block (blocks/), each
// forward beside its backward with its own small cache; here only the loops over layers.

export interface ForwardOptions {
  /** Next-token targets [B·T]; -1 is ignored. With targets the result has a mean cross-entropy loss. */
  targets?: Int32Array;
  /** Record every hook whose name matches (anchored at the start, as Python's re.match). */
  record?: RegExp;
  /** Replace activations at hook points; the result flows downstream. */
  interventions?: Map<string, Intervention>;
  /** Keep what backward() needs. */
  keepCache?: boolean;
  /** Also record d loss / d activation at recorded hook points in backward(). */
  saveHookGrads?: boolean;
  backend?: Backend;
  /**
   * Linear weights (Float32) whose density is at most this run on the sparse kernels, forward and
   * backward (default DEFAULT_SPARSE_THRESHOLD; 0: always dense gemm; 1: sparse for every one).
   */
  sparseThreshold?: number;
  /** Default for backward()'s weightGrad. */
  weightGrad?: WeightGradMode;
  /**
   * Take every array of this pass (and with keepCache, of its backward()) from here: a loop that runs
   * pass after pass passes the same one each time. The previous pass's results and cache are overwritten.
   */
  workspace?: StepWorkspace;
}

export interface BackwardOptions {
  /** Backpropagate this d loss / d logits [B·T·V] instead of the forward's cross-entropy's. */
  dLogits?: FloatArray;
  backend?: Backend;
  /** As in ForwardOptions; defaults to the forward pass's. */
  sparseThreshold?: number;
  /**
   * Arrays to write the gradients into (zeroed first), by parameter name, instead of fresh ones: a
   * training loop passes the same ones every step, sparing 4 bytes per parameter of allocation and
   * garbage per step. Each must have its parameter's size and float type; missing names get fresh arrays.
   */
  gradBuffers?: Map<string, Tensor>;
  /**
   * Gradient of a weight on the sparse path: "dense" (default) at every entry, as the reference, so
   * pruned weights can regrow; "masked" only at its current nonzeros (SDDMM, cost ∝ N·nnz), zero
   * elsewhere. A tied unembedding always gets the dense gradient (its embedding part is dense anyway).
   */
  weightGrad?: WeightGradMode;
}

export interface ForwardResult {
  /** [B, T, V] */
  logits: Tensor;
  loss?: number;
  /** Recorded activations (after any intervention), by hook name. */
  hooks: Map<string, Tensor>;
  cache?: ForwardCache;
}

export interface BackwardResult {
  /** d loss / d parameter for every trained parameter (role "param"). */
  grads: Map<string, Tensor>;
  /** d loss / d activation at recorded hook points, when saveHookGrads was set. */
  hookGrads: Map<string, Tensor>;
}

/** What backward() needs of a forward pass. */
export interface ForwardCache {
  ids: Int32Array;
  b: number;
  t: number;
  layers: { attention: AttentionBlockCache; mlp: MlpBlockCache }[];
  final: FinalBlockCache;
  /** d mean cross-entropy / d logits, when the forward had targets. */
  dLogits?: FloatArray;
  saveHookGrads: boolean;
  record?: RegExp;
  sparseThreshold: number;
  weightGrad?: WeightGradMode;
  workspace?: StepWorkspace;
}

/** Runs the GPT on inputIds [B, T], operation for operation as the reference (spec A.3). */
export function forward<A extends FloatArray>(
  model: Model<A>,
  inputIds: Int32Array,
  b: number,
  t: number,
  opts: ForwardOptions = {},
): ForwardResult {
  const { dims } = model;
  const n = b * t;
  if (inputIds.length !== n)
    throw new CspError(`input_ids has ${inputIds.length} values, expected B·T = ${n}`);
  if (t > dims.blockSize) throw new CspError(`sequence length ${t} exceeds block_size ${dims.blockSize}`);
  checkTokenIds(inputIds, "token id", dims.vocab);
  const keep = opts.keepCache ?? false;
  const workspace = opts.workspace;
  workspace?.restart();
  const sparseThreshold = opts.sparseThreshold ?? DEFAULT_SPARSE_THRESHOLD;
  const hooks = new Map<string, Tensor>();
  const pass = createForwardPass(model, {
    b,
    t,
    keep,
    backend: opts.backend ?? getBackend(),
    record: opts.record,
    interventions: opts.interventions,
    sparseThreshold,
    workspace,
    recorded: hooks,
  });

  let x = embedForward(pass, inputIds); // (B·T, d_model)
  const layers: ForwardCache["layers"] = [];
  for (let li = 0; li < dims.nLayer; li++) {
    const attention = attentionBlockForward(pass, li, x);
    const mlp = mlpBlockForward(pass, li, attention.out);
    x = mlp.out;
    if (keep) layers.push({ attention: attention.cache!, mlp: mlp.cache! });
  }
  const head = finalNormAndUnembedForward(pass, inputIds, x);

  const V = dims.vocab;
  const result: ForwardResult = { logits: new Tensor(head.logits, [b, t, V]), hooks };
  let dLogits: FloatArray | undefined;
  if (opts.targets) {
    if (opts.targets.length !== n)
      throw new CspError(`targets has ${opts.targets.length} values, expected B·T = ${n}`);
    checkTokenIds(opts.targets, "target", V, IGNORE_INDEX);
    if (keep) dLogits = pass.alloc(n * V);
    result.loss = crossEntropy(head.logits, opts.targets, V, dLogits, 1, pass.be).loss;
  }
  if (keep) {
    result.cache = {
      ids: inputIds,
      b,
      t,
      layers,
      final: head.cache,
      dLogits,
      saveHookGrads: opts.saveHookGrads ?? false,
      record: opts.record,
      sparseThreshold,
      weightGrad: opts.weightGrad,
      workspace,
    };
  }
  return result;
}

/** Checks ids against the vocabulary; `ignored` (the targets' -1) passes. */
function checkTokenIds(ids: Int32Array, what: string, vocab: number, ignored?: number): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id !== ignored && !(id >= 0 && id < vocab))
      throw new CspError(`${what} ${id} at position ${i} is outside the vocabulary [0, ${vocab})`);
  }
}

/**
 * Gradients of the mean cross-entropy loss of a forward pass made with targets and keepCache.
 * dLogits may be given instead to backpropagate any other loss.
 */
export function backward<A extends FloatArray>(
  model: Model<A>,
  fwd: ForwardResult,
  opts: BackwardOptions = {},
): BackwardResult {
  const cache = fwd.cache;
  if (!cache) throw new Error("backward() needs a forward pass made with keepCache: true");
  const dLogits = opts.dLogits ?? cache.dLogits;
  if (!dLogits) throw new Error("backward() needs targets in the forward pass, or dLogits");
  const like = param(model, "transformer.ln_f.weight");
  // The forward's workspace continues here (gradients excepted: they are returned).
  const ws = cache.workspace;
  const grads = gradientArrays(model, like, opts.gradBuffers);
  const hookGrads = new Map<string, Tensor>();
  const pass = createBackwardPass(model, {
    b: cache.b,
    t: cache.t,
    ids: cache.ids,
    backend: opts.backend ?? getBackend(),
    alloc: (len) => (ws ? ws.floats(like, len) : allocLike(like, len)),
    scratch: (len) => (ws ? ws.scratchFloats(like, len) : allocLike(like, len)),
    grads,
    sparseThreshold: opts.sparseThreshold ?? cache.sparseThreshold,
    weightGrad: opts.weightGrad ?? cache.weightGrad ?? "dense",
    saveHookGrads: cache.saveHookGrads,
    record: cache.record,
    hookGrads,
  });

  let dx = finalNormAndUnembedBackward(pass, cache.final, dLogits); // (B·T, d_model)
  for (let li = model.dims.nLayer - 1; li >= 0; li--) {
    const layer = cache.layers[li];
    dx = mlpBlockBackward(pass, li, layer.mlp, dx);
    dx = attentionBlockBackward(pass, li, layer.attention, dx);
  }
  embedBackward(pass, dx);

  // The caller differentiated these weights to change them (an optimizer step writes them in place
  // next): their sparse forms must be rebuilt from the dense data before the next use.
  for (const name of grads.keys()) invalidateSparseWeight(param(model, name));
  return { grads, hookGrads };
}

/** A zeroed gradient array for every trained parameter: the caller's buffer when it fits, else fresh. */
function gradientArrays(
  model: Model<FloatArray>,
  like: FloatArray,
  buffers: Map<string, Tensor> | undefined,
): Map<string, Tensor> {
  const grads = new Map<string, Tensor>();
  for (const spec of model.specs) {
    if (spec.role !== "param") continue;
    const size = spec.shape.reduce((p, q) => p * q, 1);
    const reused = buffers?.get(spec.name);
    if (reused && reused.size === size && reused.data.constructor === like.constructor) {
      reused.data.fill(0);
      grads.set(spec.name, reused);
    } else {
      grads.set(spec.name, new Tensor(allocLike(like, size), spec.shape));
    }
  }
  return grads;
}
