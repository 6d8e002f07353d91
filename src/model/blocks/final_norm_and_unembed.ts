import type { FloatArray } from "../../tensor/tensor.js";
import { FINAL_HOOK_POINT } from "../hook_points.js";
import { linearBackward, linearForward } from "../layers/linear.js";
import { param, type Model } from "../model.js";
import type { BackwardPass } from "./backward_pass.js";
import type { ForwardPass, HookCache } from "./forward_pass.js";
import { normBackward, normForward, type NormCache } from "./norm.js";

// Shapes: N = B·T rows; C = d_model; V = vocabulary size.

/** What finalNormAndUnembedBackward needs. */
export interface FinalBlockCache {
  /** ln_f of the final residual (N, C). */
  norm: NormCache;
  /** The normalised residual z (N, C) the unembedding read. */
  z: FloatArray;
  hook: HookCache;
}

/** The unembedding matrix (V, C): the embedding itself when tied. */
function unembedName(model: Model<FloatArray>): string {
  return model.config.tied_unembed ? "transformer.wte.weight" : "lm_head.weight";
}

/** logits (N, V) = ln_f(x)·Wᵤᵀ + final_logits_bias (+ bigram_table[ids]), from the last residual x (N, C). */
export function finalNormAndUnembedForward(
  pass: ForwardPass,
  ids: Int32Array,
  x: FloatArray,
): { logits: FloatArray; cache: FinalBlockCache } {
  const { model, be, n } = pass;
  const { config, dims } = model;
  const V = dims.vocab;
  const hooks = new Map<string, HookCache>();
  const xFinal = pass.hook(FINAL_HOOK_POINT.site, FINAL_HOOK_POINT.width(dims), x, hooks);
  const z = pass.alloc(n * dims.dModel);
  const norm = normForward(pass, {
    x: xFinal,
    rows: n,
    width: dims.dModel,
    prefix: "transformer.ln_f",
    out: z,
    outStride: dims.dModel,
  });
  const logits = pass.scratch(n * V);
  linearForward(be, {
    x: z,
    b: param(model, "final_logits_bias"),
    n,
    dIn: dims.dModel,
    dOut: V,
    out: logits,
    ...pass.linearWeight(unembedName(model), V, dims.dModel),
  });
  if (config.enable_bigram_table) {
    be.addGatheredRows(param(model, "bigram_table"), ids, V, logits);
  }
  return { logits, cache: { norm, z, hook: hooks.get(FINAL_HOOK_POINT.site)! } };
}

/** Backward of finalNormAndUnembedForward: d loss / d x (N, C) from dLogits (N, V). */
export function finalNormAndUnembedBackward(
  pass: BackwardPass,
  c: FinalBlockCache,
  dLogits: FloatArray,
): FloatArray {
  const { model, be, n, ids } = pass;
  const { config, dims } = model;
  const V = dims.vocab;
  if (config.enable_bigram_table && config.learnable_bigram_table) {
    // The reference never updates the last row (token V-1, <|endoftext|> in real vocabularies): its
    // fixtures' bigram gradient is zero there although the forward uses that row. We match it.
    be.scatterAddRows(dLogits, ids, V, pass.grad("bigram_table")!, V - 1);
  }
  const unembed = unembedName(model);
  const dZ = pass.scratch(n * dims.dModel);
  linearBackward(be, {
    dy: dLogits,
    x: c.z,
    w: param(model, unembed),
    n,
    dIn: dims.dModel,
    dOut: V,
    dx: dZ,
    dw: pass.grad(unembed),
    sparse: pass.sparseOf(unembed, V, dims.dModel).sparse,
    // A tied unembedding always gets the dense gradient (its embedding part is dense anyway).
    weightGrad: config.tied_unembed ? "dense" : pass.weightGrad,
  });
  const dx = pass.alloc(n * dims.dModel);
  normBackward(pass, c.norm, {
    rows: n,
    width: dims.dModel,
    prefix: "transformer.ln_f",
    dy: dZ,
    dyStride: dims.dModel,
    dx,
  });
  return pass.hookBack(c.hook, dx, FINAL_HOOK_POINT.width(dims));
}
