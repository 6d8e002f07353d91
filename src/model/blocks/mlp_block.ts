import type { FloatArray } from "../../tensor/tensor.js";
import { layerHookName, layerHookWidth, type LayerSite } from "../hook_points.js";
import { absTopKBackward } from "../layers/abstopk.js";
import { linearBackward, linearForward } from "../layers/linear.js";
import { reluBackward, reluForward } from "../layers/relu.js";
import { param } from "../model.js";
import type { BackwardPass } from "./backward_pass.js";
import type { ForwardPass, HookCache } from "./forward_pass.js";
import { normBackward, normForward, type NormCache } from "./norm.js";
import { concatPositionsBackward, concatPositionsForward } from "./positions.js";
import {
  residualActivationBackward,
  residualActivationForward,
  type ResidualActivationCache,
} from "./residual_activation.js";

// Shapes: N = B·T rows; C = d_model; Din = the sublayer input width (C, plus d_pos when positions
// are concatenated); M = d_mlp.

/** What mlpBlockBackward needs of one layer's MLP sublayer. */
export interface MlpBlockCache {
  /** Normalisation of the residual x (N, C) into the sublayer input. */
  norm: NormCache;
  /** Normalisation of the concatenated positions (T, d_pos). */
  positionNorm?: NormCache;
  /** Sublayer input (N, Din), after AbsTopK and its hook. */
  actIn: FloatArray;
  keptIn?: Uint8Array;
  /** Pre-activation u = c_fc(actIn) (N, M). */
  u: FloatArray;
  /** Post-activation (N, M), after AbsTopK and its hook. */
  a: FloatArray;
  keptNeuron?: Uint8Array;
  keptOut?: Uint8Array;
  residual: ResidualActivationCache;
  hooks: Map<string, HookCache>;
}

/**
 * x2 = act(x + topk(c_proj(topk(gelu(c_fc(topk(norm(x)))))))); x (N, C) → x2 (N, C) (ReLU instead of
 * GELU when the config says so). The cache is kept only when the pass keeps one.
 */
export function mlpBlockForward(
  pass: ForwardPass,
  layer: number,
  x: FloatArray,
): { out: FloatArray; cache?: MlpBlockCache } {
  const { model, be, n } = pass;
  const { config, dims } = model;
  const pre = `transformer.h.${layer}`;
  const dIn = dims.dModelIn;
  const hooks = new Map<string, HookCache>();
  const hook = (site: LayerSite, data: FloatArray) =>
    pass.hook(layerHookName(layer, site), layerHookWidth(site, dims), data, hooks);

  const xMid = hook("resid_mid", x);
  const actInRaw = pass.temp("actIn2", n * dIn); // (N, Din)
  const norm = normForward(pass, {
    x: xMid,
    rows: n,
    width: dims.dModel,
    prefix: `${pre}.ln_2`,
    out: actInRaw,
    outStride: dIn,
  });
  const positionNorm = dims.catPosEmb ? concatPositionsForward(pass, actInRaw, `${pre}.ln_p2`) : undefined;
  const keptIn = pass.topk("mlp_in", actInRaw, dIn);
  const actIn = hook("mlp.act_in", actInRaw);
  const u = pass.temp("u", n * dims.dMlp); // (N, M)
  linearForward(be, {
    x: actIn,
    b: model.params.get(`${pre}.mlp.c_fc.bias`)?.data,
    n,
    dIn,
    dOut: dims.dMlp,
    out: u,
    ...pass.linearWeight(`${pre}.mlp.c_fc.weight`, dims.dMlp, dIn),
    xSparse: keptIn !== undefined,
  });
  const aRaw = pass.temp("aRaw", n * dims.dMlp);
  if (config.activation_type === "gelu") be.gelu(u, aRaw, aRaw.length);
  else reluForward(u, aRaw, aRaw.length);
  const keptNeuron = pass.topk("mlp_neuron", aRaw, dims.dMlp);
  const a = hook("mlp.post_act", aRaw);
  const m = pass.temp("m", n * dims.dModel); // (N, C)
  linearForward(be, {
    x: a,
    b: model.params.get(`${pre}.mlp.c_proj.bias`)?.data,
    n,
    dIn: dims.dMlp,
    dOut: dims.dModel,
    out: m,
    ...pass.linearWeight(`${pre}.mlp.c_proj.weight`, dims.dModel, dims.dMlp),
    xSparse: keptNeuron !== undefined,
  });
  const keptOut = pass.topk("mlp_out", m, dims.dModel);
  const delta = hook("mlp.resid_delta", m);
  const out = pass.temp("x2", n * dims.dModel);
  be.addInto(xMid, delta, out, out.length);
  const residual = residualActivationForward(pass, out, "resid_post_mlp");
  if (!pass.keep) return { out };
  return {
    out,
    cache: { norm, positionNorm, actIn, keptIn, u, a, keptNeuron, keptOut, residual, hooks },
  };
}

/**
 * Backward of mlpBlockForward: dx (N, C), d loss / d x2 on entry, is turned in place (or replaced,
 * through an intervention) into d loss / d x, which is returned.
 */
export function mlpBlockBackward(
  pass: BackwardPass,
  layer: number,
  c: MlpBlockCache,
  dx: FloatArray,
): FloatArray {
  const { model, be, n } = pass;
  const { config, dims } = model;
  const pre = `transformer.h.${layer}`;
  const dIn = dims.dModelIn;
  const hookBack = (site: LayerSite, d: FloatArray) =>
    pass.hookBack(c.hooks.get(layerHookName(layer, site)), d, layerHookWidth(site, dims));

  residualActivationBackward(pass, c.residual, dx);
  const dDelta = hookBack("mlp.resid_delta", pass.copy(dx));
  if (c.keptOut) absTopKBackward(dDelta, c.keptOut, dDelta.length, be);
  const dA = pass.scratch(n * dims.dMlp); // (N, M)
  linearBackward(be, {
    dy: dDelta,
    x: c.a,
    w: param(model, `${pre}.mlp.c_proj.weight`),
    n,
    dIn: dims.dMlp,
    dOut: dims.dModel,
    dx: dA,
    dw: pass.grad(`${pre}.mlp.c_proj.weight`),
    db: pass.grad(`${pre}.mlp.c_proj.bias`),
    ...pass.sparseOf(`${pre}.mlp.c_proj.weight`, dims.dModel, dims.dMlp),
    dySparse: c.keptOut !== undefined,
  });
  const dPostAct = hookBack("mlp.post_act", dA);
  if (c.keptNeuron) absTopKBackward(dPostAct, c.keptNeuron, dPostAct.length, be);
  const dU = pass.scratch(n * dims.dMlp);
  if (config.activation_type === "gelu") be.geluBackward(c.u, dPostAct, dU, dU.length);
  else reluBackward(c.u, dPostAct, dU, dU.length);
  const dActOut = pass.scratch(n * dIn); // (N, Din)
  linearBackward(be, {
    dy: dU,
    x: c.actIn,
    w: param(model, `${pre}.mlp.c_fc.weight`),
    n,
    dIn,
    dOut: dims.dMlp,
    dx: dActOut,
    dw: pass.grad(`${pre}.mlp.c_fc.weight`),
    db: pass.grad(`${pre}.mlp.c_fc.bias`),
    ...pass.sparseOf(`${pre}.mlp.c_fc.weight`, dims.dMlp, dIn),
    dySparse: c.keptNeuron !== undefined,
  });
  const dAct = hookBack("mlp.act_in", dActOut);
  if (c.keptIn) absTopKBackward(dAct, c.keptIn, dAct.length, be);
  normBackward(pass, c.norm, {
    rows: n,
    width: dims.dModel,
    prefix: `${pre}.ln_2`,
    dy: dAct,
    dyStride: dIn,
    dx,
  });
  if (c.positionNorm) concatPositionsBackward(pass, c.positionNorm, `${pre}.ln_p2`, dAct);
  return hookBack("resid_mid", dx);
}
