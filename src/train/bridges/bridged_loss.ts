import type { Backend } from "../../backend/backend.js";
import { backward, forward } from "../../model/gpt.js";
import { hookMatcher, type Intervention } from "../../model/hooks.js";
import { bridgeResidualHook, type BridgeSite } from "../../model/bridges_file.js";
import type { Model } from "../../model/model.js";
import type { WeightGradMode } from "../../model/layers/linear.js";
import type { StepWorkspace } from "../../model/workspace.js";
import { Tensor, allocLike, type FloatArray } from "../../tensor/tensor.js";
import { decoderBackward, decoderForward, encoderBackward, encoderForward } from "./bridge_layers.js";
import { klDivergence, nmse } from "./losses.js";
import { bridgeWeights } from "./bridge_params.js";

/** The weights of the bridge loss's terms (docs/bridges.md: defaults and why). */
export interface BridgeLossWeights {
  /** Each NMSE term, encoder and decoder, at every site. */
  nmse: number;
  /** Each hybrid-run KL term. */
  kl: number;
}

export interface BridgedLossInput {
  sparse: Model<FloatArray>;
  dense: Model<FloatArray>;
  /** Bridge parameters by name (bridges_file.ts names); gradients go to `bridgeGrads` of the same names. */
  bridges: Map<string, Tensor>;
  sites: BridgeSite[];
  /** The encoder's AbsTopK k over the sparse width. */
  encoderK: number;
  tokens: Int32Array;
  targets: Int32Array;
  b: number;
  t: number;
  weights: BridgeLossWeights;
  /** The sites whose two hybrid runs are taken this step (a sample of `sites`), and the factor on them. */
  klSites: BridgeSite[];
  klScale: number;
  /** Also differentiate the dense model (its own cross-entropy joins the loss). */
  trainDense: boolean;
  backend: Backend;
  weightGrad?: WeightGradMode;
  sparseWorkspace?: StepWorkspace;
  sparseGradBuffers?: Map<string, Tensor>;
}

export interface BridgedLossTerms {
  total: number;
  /** The sparse model's pretraining cross-entropy. */
  ce: number;
  nmseEncoder: number;
  nmseDecoder: number;
  /** Σ KL(dense ‖ sparse continued from the encoded dense residual), times klScale. */
  klSparseHybrid: number;
  /** Σ KL(dense ‖ dense continued from the decoded sparse residual), times klScale. */
  klDenseHybrid: number;
  /** The dense model's own cross-entropy (only when it is trained). */
  denseCe?: number;
}

export interface BridgedLossResult {
  terms: BridgedLossTerms;
  sparseGrads: Map<string, Tensor>;
  bridgeGrads: Map<string, FloatArray>;
  denseGrads?: Map<string, Tensor>;
}

const RESIDUAL_HOOKS = hookMatcher("\\d+\\.(resid_in|resid_mid)$");

/**
 * An identity at a hook point whose backward adds `extra` (the bridge terms' gradient w.r.t. the
 * activation there, filled in after the forward) to the gradient flowing back.
 */
function gradientTap(extra: Map<string, FloatArray>, name: string): Intervention {
  return {
    forward: (x) => x,
    backward(dOut) {
      const add = extra.get(name);
      if (!add) return dOut;
      const d = dOut.clone();
      for (let i = 0; i < d.size; i++) d.data[i] += add[i];
      return d;
    },
  };
}

/** Replaces the activation by `value`; its backward hands d loss / d value to `sink` and passes nothing upstream. */
function replaceWith(
  value: FloatArray,
  shape: readonly number[],
  sink: (d: FloatArray) => void,
): Intervention {
  return {
    forward: () => new Tensor(value, shape),
    backward(dOut) {
      sink(dOut.data);
      return Tensor.zerosLike(dOut);
    },
  };
}

function addInto(into: Map<string, FloatArray>, name: string, d: FloatArray): void {
  const have = into.get(name);
  if (!have) into.set(name, d.slice());
  else for (let i = 0; i < d.length; i++) have[i] += d[i];
}

function addGrads(into: Map<string, Tensor>, from: Map<string, Tensor>): void {
  for (const [name, g] of from) {
    const have = into.get(name)!.data;
    for (let i = 0; i < have.length; i++) have[i] += g.data[i];
  }
}

/**
 * The bridged loss of one batch (paper §2.3) and its gradients: the sparse model's cross-entropy,
 * Σ_sites NMSE(f(h_dense), h_sparse) + NMSE(g(h_sparse), h_dense), and at the sampled sites the KL of
 * the two hybrid runs (the sparse model continued from the encoded dense residual; the dense model
 * continued from the decoded sparse residual) from the dense model's output distribution.
 * Residuals h are the pre-RMSNorm residual stream at each sublayer input (resid_in / resid_mid).
 */
export function bridgedLoss(o: BridgedLossInput): BridgedLossResult {
  const { sparse, dense, b, t, backend: be } = o;
  const n = b * t;
  const dS = sparse.dims.dModel;
  const dD = dense.dims.dModel;
  const V = sparse.dims.vocab;
  const weightsOf = (site: BridgeSite) => ({
    enc: bridgeWeights(o.bridges, site, "encoder", bridgeGrads),
    dec: bridgeWeights(o.bridges, site, "decoder", bridgeGrads),
  });
  const bridgeGrads = new Map<string, FloatArray>();

  // Clean runs: the dense model (targets for the KL terms) and the sparse model (cross-entropy).
  const sparseExtra = new Map<string, FloatArray>();
  const denseExtra = new Map<string, FloatArray>();
  const taps = (extra: Map<string, FloatArray>) =>
    new Map(o.sites.map((s) => [bridgeResidualHook(s), gradientTap(extra, bridgeResidualHook(s))]));
  const denseRun = forward(dense, o.tokens, b, t, {
    targets: o.trainDense ? o.targets : undefined,
    record: RESIDUAL_HOOKS,
    keepCache: o.trainDense,
    interventions: o.trainDense ? taps(denseExtra) : undefined,
    backend: be,
  });
  const sparseRun = forward(sparse, o.tokens, b, t, {
    targets: o.targets,
    record: RESIDUAL_HOOKS,
    keepCache: true,
    interventions: taps(sparseExtra),
    backend: be,
    weightGrad: o.weightGrad,
    workspace: o.sparseWorkspace,
  });
  const hDense = (s: BridgeSite) => denseRun.hooks.get(bridgeResidualHook(s))!.data;
  const hSparse = (s: BridgeSite) => sparseRun.hooks.get(bridgeResidualHook(s))!.data;

  // Bridges at every site, and their reconstruction terms.
  const terms: BridgedLossTerms = {
    total: 0,
    ce: sparseRun.loss!,
    nmseEncoder: 0,
    nmseDecoder: 0,
    klSparseHybrid: 0,
    klDenseHybrid: 0,
  };
  const perSite = o.sites.map((site) => {
    const { enc, dec } = weightsOf(site);
    const encoded = encoderForward(be, enc, { x: hDense(site), n, dIn: dD, dOut: dS, k: o.encoderK });
    const decoded = decoderForward(be, dec, { x: hSparse(site), n, dIn: dS, dOut: dD });
    const e = nmse(encoded.out, hSparse(site), o.weights.nmse);
    const d = nmse(decoded, hDense(site), o.weights.nmse);
    terms.nmseEncoder += e.loss;
    terms.nmseDecoder += d.loss;
    const hook = bridgeResidualHook(site);
    addInto(sparseExtra, hook, e.dTarget);
    if (o.trainDense) addInto(denseExtra, hook, d.dTarget);
    return { site, enc, dec, encoded, decoded, dEncoded: e.dPred, dDecoded: d.dPred };
  });

  // Hybrid runs at the sampled sites.
  const denseLogitGrad = o.trainDense ? allocLike(denseRun.logits.data, n * V) : undefined;
  const sparseGrads = new Map<string, Tensor>();
  let denseGrads: Map<string, Tensor> | undefined;
  const klWeight = o.weights.kl * o.klScale;
  for (const site of klWeight === 0 ? [] : o.klSites) {
    const s = perSite.find((p) => p.site.layer === site.layer && p.site.sublayer === site.sublayer)!;
    const hook = bridgeResidualHook(site);
    const sparseHybrid = forward(sparse, o.tokens, b, t, {
      keepCache: true,
      interventions: new Map([[hook, replaceWith(s.encoded.out, [b, t, dS], (d) => addTo(s.dEncoded, d))]]),
      backend: be,
      weightGrad: o.weightGrad,
    });
    const kSparse = klDivergence(sparseHybrid.logits.data, denseRun.logits.data, V, klWeight);
    terms.klSparseHybrid += kSparse.loss;
    const hybridGrads = backward(sparse, sparseHybrid, { dLogits: kSparse.dPred, backend: be }).grads;
    if (sparseGrads.size === 0) initFrom(sparseGrads, sparse);
    addGrads(sparseGrads, hybridGrads);

    const denseHybrid = forward(dense, o.tokens, b, t, {
      keepCache: true,
      interventions: new Map([[hook, replaceWith(s.decoded, [b, t, dD], (d) => addTo(s.dDecoded, d))]]),
      backend: be,
    });
    const kDense = klDivergence(denseHybrid.logits.data, denseRun.logits.data, V, klWeight);
    terms.klDenseHybrid += kDense.loss;
    const dg = backward(dense, denseHybrid, { dLogits: kDense.dPred, backend: be }).grads;
    if (denseLogitGrad) {
      addTo(denseLogitGrad, kSparse.dTarget);
      addTo(denseLogitGrad, kDense.dTarget);
      addGrads(denseGrads ?? (denseGrads = initFrom(new Map(), dense)), dg);
    }
  }

  // Back through the bridges into the residuals, then through both models.
  for (const s of perSite) {
    const hook = bridgeResidualHook(s.site);
    const dhDense = encoderBackward(be, s.enc, s.encoded.cache, { dy: s.dEncoded, n, dIn: dD, dOut: dS });
    if (o.trainDense) addInto(denseExtra, hook, dhDense);
    const dhSparse = decoderBackward(be, s.dec, { dy: s.dDecoded, x: hSparse(s.site), n, dIn: dS, dOut: dD });
    addInto(sparseExtra, hook, dhSparse);
  }
  const clean = backward(sparse, sparseRun, { backend: be, gradBuffers: o.sparseGradBuffers }).grads;
  if (sparseGrads.size) addGrads(clean, sparseGrads);
  terms.total = terms.ce + terms.nmseEncoder + terms.nmseDecoder + terms.klSparseHybrid + terms.klDenseHybrid;

  if (o.trainDense) {
    terms.denseCe = denseRun.loss!;
    terms.total += terms.denseCe;
    const ceGrad = denseRun.cache!.dLogits!;
    addTo(denseLogitGrad!, ceGrad);
    const own = backward(dense, denseRun, { dLogits: denseLogitGrad, backend: be }).grads;
    if (denseGrads) addGrads(own, denseGrads);
    denseGrads = own;
  }
  return { terms, sparseGrads: clean, bridgeGrads, denseGrads };
}

function addTo(into: FloatArray, d: FloatArray): void {
  for (let i = 0; i < into.length; i++) into[i] += d[i];
}

/** Zero gradient tensors for every trained parameter of `model`, into `map`. */
function initFrom(map: Map<string, Tensor>, model: Model<FloatArray>): Map<string, Tensor> {
  for (const spec of model.specs) {
    if (spec.role !== "param") continue;
    const like = model.params.get(spec.name)!.data;
    map.set(spec.name, new Tensor(allocLike(like, like.length), spec.shape));
  }
  return map;
}
