import type { FloatArray } from "../../tensor/tensor.js";
import type { Loctype } from "../config.js";
import { absTopKBackward } from "../layers/abstopk.js";
import { reluBackward, reluForward } from "../layers/relu.js";
import type { BackwardPass } from "./backward_pass.js";
import type { ForwardPass } from "./forward_pass.js";

/** What the optional ReLU / AbsTopK on the residual after a sublayer kept. */
export interface ResidualActivationCache {
  preRelu?: FloatArray;
  kept?: Uint8Array;
}

/**
 * The optional ReLU and AbsTopK applied in place to the residual x [B·T, d_model] after a sublayer
 * (never used by released models).
 */
export function residualActivationForward(
  pass: ForwardPass,
  x: FloatArray,
  loc: Loctype,
): ResidualActivationCache {
  const cache: ResidualActivationCache = {};
  if (pass.model.config.residual_activation_type === "relu") {
    cache.preRelu = x.slice();
    reluForward(x, x, x.length);
  }
  cache.kept = pass.topk(loc, x, pass.model.dims.dModel);
  return cache;
}

/** Backward of residualActivationForward, in place on dx [B·T, d_model]. */
export function residualActivationBackward(
  pass: BackwardPass,
  c: ResidualActivationCache,
  dx: FloatArray,
): void {
  if (c.kept) absTopKBackward(dx, c.kept, dx.length, pass.be);
  if (c.preRelu) reluBackward(c.preRelu, dx, dx, dx.length);
}
