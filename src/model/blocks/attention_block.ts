import type { FloatArray } from "../../tensor/tensor.js";
import { layerHookName, layerHookWidth, type LayerSite } from "../hook_points.js";
import { absTopKBackward } from "../layers/abstopk.js";
import { linearBackward, linearForward } from "../layers/linear.js";
import { param } from "../model.js";
import { sparseWeightRows } from "../sparse_weights.js";
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
// are concatenated); D = n_head·d_head, the width of q, k, v and y; H heads.

/** What attentionBlockBackward needs of one layer's attention sublayer. */
export interface AttentionBlockCache {
  /** Normalisation of the residual x (N, C) into the sublayer input. */
  norm: NormCache;
  /** Normalisation of the concatenated positions (T, d_pos). */
  positionNorm?: NormCache;
  /** Sublayer input (N, Din), after AbsTopK and its hook. */
  actIn: FloatArray;
  keptIn?: Uint8Array;
  /** (N, D) each, after AbsTopK and their hooks. */
  q: FloatArray;
  k: FloatArray;
  v: FloatArray;
  keptQ?: Uint8Array;
  keptK?: Uint8Array;
  keptV?: Uint8Array;
  /** (B, H, T, T) */
  probs: FloatArray;
  /** (B, H, T): the sink's probability, with a sink. */
  pSink?: FloatArray;
  /** Attention output (N, D) after its hook. */
  y: FloatArray;
  keptOut?: Uint8Array;
  residual: ResidualActivationCache;
  hooks: Map<string, HookCache>;
}

/**
 * x1 = act(x + topk(c_proj(attn(topk(q), topk(k), topk(v))))) with q, k, v = c_attn(topk(norm(x)));
 * x (N, C) → x1 (N, C). The cache is kept only when the pass keeps one.
 */
export function attentionBlockForward(
  pass: ForwardPass,
  layer: number,
  x: FloatArray,
): { out: FloatArray; cache?: AttentionBlockCache } {
  const { model, be, b, t, n } = pass;
  const { config, dims } = model;
  const pre = `transformer.h.${layer}`;
  const D = dims.dAttn;
  const dIn = dims.dModelIn;
  const hooks = new Map<string, HookCache>();
  const hook = (site: LayerSite, data: FloatArray) =>
    pass.hook(layerHookName(layer, site), layerHookWidth(site, dims), data, hooks);

  const xIn = hook("resid_in", x);
  const actInRaw = pass.temp("actIn1", n * dIn); // (N, Din)
  const norm = normForward(pass, {
    x: xIn,
    rows: n,
    width: dims.dModel,
    prefix: `${pre}.ln_1`,
    out: actInRaw,
    outStride: dIn,
  });
  const positionNorm = dims.catPosEmb ? concatPositionsForward(pass, actInRaw, `${pre}.ln_p1`) : undefined;
  const keptIn = pass.topk("attn_in", actInRaw, dIn);
  const actIn = hook("attn.act_in", actInRaw);
  const cAttn = pass.linearWeight(`${pre}.attn.c_attn.weight`, 3 * D, dIn);
  const cAttnBias = model.params.get(`${pre}.attn.c_attn.bias`)?.data;
  let q = pass.temp("q", n * D);
  let k = pass.temp("k", n * D);
  let v = pass.temp("v", n * D);
  const parts = [
    [q, 0],
    [k, D],
    [v, 2 * D],
  ] as const;
  if ("sparse" in cAttn) {
    // c_attn's rows [0, D), [D, 2D), [2D, 3D) make q, k and v: on the sparse path each is written
    // straight from its rows (a view of the CSR), with no (N, 3D) product to split afterwards.
    for (const [dst, offset] of parts) {
      linearForward(be, {
        x: actIn,
        b: cAttnBias?.subarray(offset, offset + D),
        n,
        dIn,
        dOut: D,
        out: dst,
        sparse: sparseWeightRows(cAttn.sparse, offset, D),
      });
    }
  } else {
    const qkv = pass.temp("qkv", n * 3 * D); // (N, 3D): [q | k | v] per row
    linearForward(be, {
      x: actIn,
      b: cAttnBias,
      n,
      dIn,
      dOut: 3 * D,
      out: qkv,
      ...cAttn,
      xSparse: keptIn !== undefined,
    });
    for (const [dst, offset] of parts) {
      be.copyBlock({
        src: qkv,
        srcStride: 3 * D,
        srcOffset: offset,
        dst,
        dstStride: D,
        dstOffset: 0,
        rows: n,
        width: D,
      });
    }
  }
  // The reference sparsifies and records k, then q, then v.
  const keptK = pass.topk("attn_k", k, D);
  k = hook("attn.k", k);
  const keptQ = pass.topk("attn_q", q, D);
  q = hook("attn.q", q);
  const keptV = pass.topk("attn_v", v, D);
  v = hook("attn.v", v);
  const sink = config.sink ? param(model, `${pre}.attn.attn_imp.sink_logit`) : undefined;
  // Only the backward reads the attention probabilities: without a cache they are not stored at all.
  const probs = pass.keep ? pass.scratch(b * dims.nHead * t * t) : undefined;
  const pSink = sink ? pass.alloc(b * dims.nHead * t) : undefined;
  const yRaw = pass.temp("yRaw", n * D);
  be.attentionForward({ b, t, nHead: dims.nHead, dHead: dims.dHead }, q, k, v, sink, yRaw, probs, pSink);
  const y = hook("attn.y", yRaw);
  const o = pass.temp("o", n * dims.dModel); // (N, C)
  linearForward(be, {
    x: y,
    b: model.params.get(`${pre}.attn.c_proj.bias`)?.data,
    n,
    dIn: D,
    dOut: dims.dModel,
    out: o,
    ...pass.linearWeight(`${pre}.attn.c_proj.weight`, dims.dModel, D),
  });
  const keptOut = pass.topk("attn_out", o, dims.dModel);
  const delta = hook("attn.resid_delta", o);
  const out = pass.temp("x1", n * dims.dModel);
  be.addInto(xIn, delta, out, out.length);
  const residual = residualActivationForward(pass, out, "resid_post_attn");
  if (!pass.keep) return { out };
  const cache: AttentionBlockCache = {
    norm,
    positionNorm,
    actIn,
    keptIn,
    q,
    k,
    v,
    keptQ,
    keptK,
    keptV,
    probs: probs!,
    pSink,
    y,
    keptOut,
    residual,
    hooks,
  };
  return { out, cache };
}

/**
 * Backward of attentionBlockForward: dx (N, C), d loss / d x1 on entry, is turned in place (or
 * replaced, through an intervention) into d loss / d x, which is returned.
 */
export function attentionBlockBackward(
  pass: BackwardPass,
  layer: number,
  c: AttentionBlockCache,
  dx: FloatArray,
): FloatArray {
  const { model, be, b, t, n } = pass;
  const { dims } = model;
  const pre = `transformer.h.${layer}`;
  const D = dims.dAttn;
  const dIn = dims.dModelIn;
  const hookBack = (site: LayerSite, d: FloatArray) =>
    pass.hookBack(c.hooks.get(layerHookName(layer, site)), d, layerHookWidth(site, dims));

  residualActivationBackward(pass, c.residual, dx);
  const dDelta = hookBack("attn.resid_delta", pass.copy(dx));
  if (c.keptOut) absTopKBackward(dDelta, c.keptOut, dDelta.length, be);
  const dY = pass.scratch(n * D);
  linearBackward(be, {
    dy: dDelta,
    x: c.y,
    w: param(model, `${pre}.attn.c_proj.weight`),
    n,
    dIn: D,
    dOut: dims.dModel,
    dx: dY,
    dw: pass.grad(`${pre}.attn.c_proj.weight`),
    db: pass.grad(`${pre}.attn.c_proj.bias`),
    ...pass.sparseOf(`${pre}.attn.c_proj.weight`, dims.dModel, D),
    dySparse: c.keptOut !== undefined,
  });
  const dYRaw = hookBack("attn.y", dY);
  const dQ = pass.scratch(n * D);
  const dK = pass.scratch(n * D);
  const dV = pass.scratch(n * D);
  be.attentionBackward(
    { b, t, nHead: dims.nHead, dHead: dims.dHead },
    dYRaw,
    c.q,
    c.k,
    c.v,
    c.probs,
    c.pSink,
    dQ,
    dK,
    dV,
    pass.grad(`${pre}.attn.attn_imp.sink_logit`),
  );
  const dQkv = pass.scratch(n * 3 * D); // (N, 3D)
  const parts: [LayerSite, FloatArray, Uint8Array | undefined, number][] = [
    ["attn.q", dQ, c.keptQ, 0],
    ["attn.k", dK, c.keptK, D],
    ["attn.v", dV, c.keptV, 2 * D],
  ];
  for (const [site, d, kept, offset] of parts) {
    const dd = hookBack(site, d);
    if (kept) absTopKBackward(dd, kept, dd.length, be);
    be.copyBlock({
      src: dd,
      srcStride: D,
      srcOffset: 0,
      dst: dQkv,
      dstStride: 3 * D,
      dstOffset: offset,
      rows: n,
      width: D,
    });
  }
  const dActOut = pass.scratch(n * dIn); // (N, Din)
  linearBackward(be, {
    dy: dQkv,
    x: c.actIn,
    w: param(model, `${pre}.attn.c_attn.weight`),
    n,
    dIn,
    dOut: 3 * D,
    dx: dActOut,
    dw: pass.grad(`${pre}.attn.c_attn.weight`),
    db: pass.grad(`${pre}.attn.c_attn.bias`),
    ...pass.sparseOf(`${pre}.attn.c_attn.weight`, 3 * D, dIn),
    dySparse: c.keptQ !== undefined && c.keptK !== undefined && c.keptV !== undefined,
  });
  const dAct = hookBack("attn.act_in", dActOut);
  if (c.keptIn) absTopKBackward(dAct, c.keptIn, dAct.length, be);
  normBackward(pass, c.norm, {
    rows: n,
    width: dims.dModel,
    prefix: `${pre}.ln_1`,
    dy: dAct,
    dyStride: dIn,
    dx,
  });
  if (c.positionNorm) concatPositionsBackward(pass, c.positionNorm, `${pre}.ln_p1`, dAct);
  return hookBack("resid_in", dx);
}
