import type { Backend } from "../../backend/backend.js";
import { getBackend } from "../../backend/index.js";
import type { BridgeSite } from "../../model/bridges_file.js";
import type { Model } from "../../model/model.js";
import { Rng, mixSeed } from "../../random/index.js";
import type { FloatArray, Tensor } from "../../tensor/tensor.js";
import { adamStep, createAdamState, type AdamHyper, type AdamState } from "../adam.js";
import { globalNorm, normalizeGradRms } from "../grad_norm.js";
import { learningRateAt, pfracAt } from "../schedule.js";
import { nextTokenTargets, projectToBudget, type Learner, type StepRecord } from "../step.js";
import { decayWeights } from "../weight_decay.js";
import { bridgedLoss, type BridgeLossWeights, type BridgedLossTerms } from "./bridged_loss.js";

/** The bridge side of a bridged run: its settings, the dense model, the bridges and their optimizer state. */
export interface BridgeSettings {
  weights: BridgeLossWeights;
  /** Sites whose hybrid runs are taken per step (sampled without replacement, seeded by step). */
  klSitesPerStep: number;
  /** Kept fraction of the encoder's AbsTopK (1 = no top-k). */
  encoderAfrac: number;
  trainDense: boolean;
}

export interface BridgeLearner {
  settings: BridgeSettings;
  dense: Model;
  sites: BridgeSite[];
  bridges: Map<string, Tensor<Float32Array>>;
  bridgeAdam: AdamState<Float32Array>;
  /** Present when the dense model is trained too. */
  denseAdam?: AdamState<Float32Array>;
}

/** Seed tag of the per-step choice of KL sites: mixSeed(seed, tag, step). */
const KL_SITES_TAG = 0x6b1517e5;

export function createBridgeLearner(o: {
  settings: BridgeSettings;
  dense: Model;
  sites: BridgeSite[];
  bridges: Map<string, Tensor<Float32Array>>;
}): BridgeLearner {
  const data = (m: Map<string, Tensor<Float32Array>>) => new Map([...m].map(([k, t]) => [k, t.data]));
  return {
    ...o,
    bridgeAdam: createAdamState(data(o.bridges)),
    denseAdam: o.settings.trainDense ? createAdamState(trainedParams(o.dense)) : undefined,
  };
}

function trainedParams(model: Model): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const s of model.specs) if (s.role === "param") out.set(s.name, model.params.get(s.name)!.data);
  return out;
}

/** The sites of step `step`'s hybrid runs: a seeded sample, the same on every resume. */
export function klSitesAt(
  sites: readonly BridgeSite[],
  perStep: number,
  seed: number,
  step: number,
): BridgeSite[] {
  if (perStep >= sites.length) return [...sites];
  const rng = new Rng(mixSeed(seed, KL_SITES_TAG, step));
  const order = sites.map((_, i) => i);
  for (let i = 0; i < perStep; i++) {
    const j = i + rng.int(order.length - i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order
    .slice(0, perStep)
    .sort((a, b) => a - b)
    .map((i) => sites[i]);
}

/**
 * One step of the bridged recipe: the sparse side exactly as trainStep (schedule, gradient RMS
 * normalisation, Adam, top-k projection with min-alive, decoupled weight decay), on the bridged loss;
 * the bridges (and the dense model, if trained) join the same normalisation and get the same lr,
 * Adam and weight decay on their matrices, and are never projected.
 */
export function bridgedTrainStep(
  learner: Learner,
  bl: BridgeLearner,
  step: number,
  batch: { tokens: Int32Array; b: number; t: number },
  opts: { backend?: Backend } = {},
): StepRecord & { terms: BridgedLossTerms } {
  const c = learner.config;
  const be = opts.backend ?? getBackend();
  if (learner.adam.step !== step)
    throw new Error(
      `bridgedTrainStep: optimizer has taken ${learner.adam.step} steps, asked for step ${step}`,
    );
  const lr = learningRateAt(step, c);
  const pfrac = c.pfrac === null ? null : pfracAt(step, c);
  const masked = c.weight_grad_mode === "fast" && c.pfrac !== null && step % c.dense_grad_every !== 0;
  const klSites = klSitesAt(bl.sites, bl.settings.klSitesPerStep, c.seed, step);
  const dS = learner.model.dims.dModel;
  const r = bridgedLoss({
    sparse: learner.model as Model<FloatArray>,
    dense: bl.dense as Model<FloatArray>,
    bridges: bl.bridges,
    sites: bl.sites,
    encoderK: Math.max(1, Math.trunc(bl.settings.encoderAfrac * dS)),
    tokens: batch.tokens,
    targets: nextTokenTargets(batch.tokens, batch.b, batch.t),
    b: batch.b,
    t: batch.t,
    weights: bl.settings.weights,
    klSites,
    klScale: bl.sites.length / Math.max(1, klSites.length),
    trainDense: bl.settings.trainDense,
    backend: be,
    weightGrad: masked ? "masked" : "dense",
    sparseWorkspace: learner.workspace,
    sparseGradBuffers: learner.gradBuffers,
  });
  for (const [name, g] of r.sparseGrads) learner.gradBuffers.set(name, g);

  const sparseGrads = new Map<string, FloatArray>();
  for (const name of learner.trained.keys()) sparseGrads.set(name, r.sparseGrads.get(name)!.data);
  const denseGrads = new Map<string, FloatArray>();
  if (r.denseGrads) for (const [name, g] of r.denseGrads) denseGrads.set(name, g.data);
  const all = [...sparseGrads.values(), ...r.bridgeGrads.values(), ...denseGrads.values()];
  const gradNorm = c.gradclip ? normalizeGradRms(all, c.grad_rms_eps, be).norm : globalNorm(all, be);

  const hyper: AdamHyper = { lr, beta1: c.adam_betas[0], beta2: c.adam_betas[1], eps: c.adam_eps };
  adamStep(learner.trained, sparseGrads, learner.adam, hyper, be);
  const bridgeData = new Map([...bl.bridges].map(([k, t]) => [k, t.data]));
  adamStep(bridgeData, r.bridgeGrads, bl.bridgeAdam, hyper, be);
  const keep = pfrac === null ? new Map() : projectToBudget(learner, pfrac, be);
  decayWeights(learner.decayed, c.weight_decay, lr, be);
  decayWeights(
    [...bl.bridges.values()].filter((t) => t.shape.length === 2).map((t) => t.data),
    c.weight_decay,
    lr,
    be,
  );
  if (bl.denseAdam) {
    const denseParams = trainedParams(bl.dense);
    adamStep(denseParams, denseGrads, bl.denseAdam, hyper, be);
    const decayed = bl.dense.specs.filter(
      (s) => s.role === "param" && s.shape.length >= 2 && s.name !== "bigram_table",
    );
    decayWeights(
      decayed.map((s) => bl.dense.params.get(s.name)!.data),
      c.weight_decay,
      lr,
      be,
    );
  }
  return { step, lr, pfrac, loss: r.terms.ce, gradNorm, keep, terms: r.terms };
}
