import type { ProgressFactory } from "../io/progress.js";
import { mixSeed } from "../random/seed.js";
import { attributionScores } from "./attribution.js";
import { bisectK, promote, rankNodes, topKMask, type BisectionStep } from "./bisect.js";
import { calibratedLoss, fitCalibration } from "../circuit/calibrate.js";
import type { MaskHyper } from "../circuit/format.js";
import type { MaskTrainConfig } from "./config.js";
import { layerEffects, meanMaskedLoss, nodeEffects } from "./effects.js";
import { maskedLosses, type PruneContext } from "../circuit/masked_run.js";
import { betterTrial, sampleHyper } from "./search.js";
import { groupByLength, spreadIndices, type TaskSequence } from "../circuit/task_data.js";
import { mean, type Calibration } from "../circuit/task_loss.js";
import { trainMasks, type MaskStepLog } from "./train_masks.js";

/** learned: the paper's mask optimisation; attribution: the gradient × (activation − mean) baseline. */
export const PRUNE_METHODS = ["learned", "attribution"] as const;
export type PruneMethod = (typeof PRUNE_METHODS)[number];

export interface PruneRunOptions {
  method: PruneMethod;
  /** Mean per-sequence task loss the circuit must reach. */
  targetLoss: number;
  /** Mask training settings; its hyperparameters are the search centre. */
  mask: MaskTrainConfig;
  /** Random-search trials (≤ 1: one run at the centre). Only for the learned method. */
  search: number;
  /** Training pairs (spread evenly over the split) on which k is bisected and the circuit scored. */
  evalPairs: number;
  /** Pairs (the first of the evaluation pairs) on which node and layer effects are measured. */
  effectsPairs: number;
  /** Skip per-node effects for circuits larger than this (one forward pass per node). */
  maxEffectNodes: number;
  /** Rounds of boundary-node promotion after the bisection (0: none); see repairRanking. */
  repairRounds: number;
  /**
   * Standard errors of margin the bisection demands: k is accepted when the mean loss over the evaluation
   * pairs plus `confidence` standard errors of that mean (over pairs) is at most the target. 0: the mean
   * itself (the paper's rule, "hit the target"); a circuit found so sits at the target and lands above it
   * on about half of fresh samples, which a margin prevents (docs/pruning.md, "Held-out margin").
   */
  confidence?: number;
  progress?: ProgressFactory;
  /**
   * Node rankings by trial, shared between runs that differ only in the target loss: the ranking does not
   * depend on the target (the mask objective has none), so a trial found here is reused as is and a
   * trial computed here is stored. The result is the same as without the cache.
   */
  rankings?: Map<number, TrialRanking>;
}

/** What a trial's ranking phase produced: the scores and, for learned masks, the training record. */
export interface TrialRanking {
  scores: Float64Array;
  curve: MaskStepLog[];
  trainedKept: number | null;
}

/** One trial of the search (or the single run). */
export interface TrialRecord {
  trial: number;
  hyper: MaskHyper;
  /** Nodes with τ ≥ 0 after training (attribution: null). */
  trainedKept: number | null;
  k: number;
  loss: number;
  reached: boolean;
  bisection: BisectionStep[];
  /** Nodes moved to the front of the ranking by the repair rounds, in order. */
  promoted: number[];
  /** Per-step training log (learned method). */
  curve: MaskStepLog[];
  seconds: number;
}

export interface PruneOutcome {
  /** 1 for circuit nodes, 0 for ablated ones (flat node numbering). */
  keep: Float32Array;
  k: number;
  reached: boolean;
  /** Mean loss on the evaluation pairs: all nodes kept, circuit only, circuit calibrated, nothing kept. */
  lossFull: number;
  lossCircuit: number;
  lossCalibrated: number;
  lossEmpty: number;
  calibration: Calibration;
  /** The ranking scores of the chosen trial (τ, or attribution scores). */
  scores: Float64Array;
  trials: TrialRecord[];
  bestTrial: number;
  evalPairs: number;
  /** Loss of each circuit node's additional ablation, by flat node number; null if skipped. */
  nodeEffects: Map<number, number> | null;
  layerEffects: Map<string, number>;
  effectsPairs: number;
  /** The circuit's loss on the effects pairs (what the effects compare against). */
  effectsBaseLoss: number;
}

/** The sequence indices (2p, 2p+1) of pair indices. */
function sequencesOf(pairs: readonly number[]): number[] {
  return pairs.flatMap((p) => [2 * p, 2 * p + 1]);
}

/**
 * Finds a circuit for a task: rank nodes (learned masks, or attribution), bisect the number of kept
 * nodes to the target loss, calibrate the logits, and measure node and layer effects. `train` holds the
 * training pairs' sequences A, B, A, B, ... Everything random derives from `opts.mask.seed`.
 */
export function pruneTask(
  ctx: PruneContext,
  train: readonly TaskSequence[],
  opts: PruneRunOptions,
): PruneOutcome {
  const total = ctx.layout.total;
  const nPairs = train.length / 2;
  const evalPairIdx = spreadIndices(nPairs, opts.evalPairs);
  const evalGroups = groupByLength(train, sequencesOf(evalPairIdx));
  const size = train.length;
  const draw = mixSeed(opts.mask.seed, 0x5eed);
  const z = opts.confidence ?? 0;
  // Mean losses of the empty and the full circuit (the same under every ranking) and their bisection values.
  const known = new Map<number, { mean: number; bound: number }>();
  // At z = 0 the bound is the mean, summed in the same order as meanMaskedLoss (pairs ascending).
  const evaluate = (mask: Float32Array) =>
    upperBound(maskedLosses(ctx, evalGroups, size, mask, { draw }).losses, evalPairIdx, z);
  const lossOf = (order: Int32Array) => (k: number) => {
    const cached = k === 0 || k === total ? known.get(k) : undefined;
    if (cached !== undefined) return cached.bound;
    const l = evaluate(topKMask(order, k));
    if (k === 0 || k === total) known.set(k, l);
    return l.bound;
  };

  const trials: TrialRecord[] = [];
  let best = -1;
  let bestScores: Float64Array = new Float64Array(total);
  let bestOrder: Int32Array = new Int32Array(0);
  const nTrials = opts.method === "learned" ? Math.max(1, opts.search) : 1;
  for (let trial = 0; trial < nTrials; trial++) {
    const started = Date.now();
    const hyper = sampleHyper(opts.mask, opts.mask.seed, trial);
    let ranking = opts.rankings?.get(trial);
    if (!ranking) {
      ranking = rankTrial(ctx, train, evalGroups, draw, opts, hyper, trial, nTrials);
      opts.rankings?.set(trial, ranking);
    }
    const { scores, curve, trainedKept } = ranking;
    let order = rankNodes(scores);
    const bar = opts.progress?.(
      trialLabel("bisect k", trial, nTrials),
      (opts.repairRounds + 1) * (Math.ceil(Math.log2(total)) + 3),
    );
    let evals = 0;
    const counted = (o: Int32Array) => {
      const lossAt = lossOf(o);
      return (k: number) => {
        const l = lossAt(k);
        bar?.update(++evals);
        return l;
      };
    };
    let res = bisectK(counted(order), total, opts.targetLoss, trainedKept ?? undefined);
    const bisection = [...res.steps];
    const promoted: number[] = [];
    // Repair: the bisection ends where adding the node ranked k makes the loss meet the target, so that
    // node is needed; a needed node ranked far down (its mask died early) inflates k. Moving it to the
    // front and bisecting [0, k] again shrinks the circuit while such nodes keep turning up.
    for (let round = 0; round < opts.repairRounds && res.reached && res.k > 1; round++) {
      const next = promote(order, res.k - 1);
      const known = new Map([
        [res.k, res.loss],
        [0, lossOf(next)(0)],
      ]);
      const again = bisectK(counted(next), res.k, opts.targetLoss, undefined, known);
      bisection.push(...again.steps);
      if (!(again.k < res.k)) break;
      promoted.push(order[res.k - 1]);
      order = next;
      res = again;
    }
    bar?.stop();
    const record: TrialRecord = {
      trial,
      hyper,
      trainedKept,
      k: res.k,
      loss: res.loss,
      reached: res.reached,
      bisection,
      promoted,
      curve,
      seconds: (Date.now() - started) / 1000,
    };
    trials.push(record);
    if (best < 0 || betterTrial(record, trials[best])) {
      best = trial;
      bestScores = scores;
      bestOrder = order;
    }
  }

  const meanAt = (k: number) => {
    if (!known.has(k)) lossOf(rankNodes(bestScores))(k);
    return known.get(k)!.mean;
  };
  const chosen = trials[best];
  const keep = topKMask(bestOrder, chosen.k);
  const circuit = maskedLosses(ctx, evalGroups, size, keep, { draw });
  const calibration = fitCalibration(circuit.candidates);
  const lossCircuit = mean(circuit.losses.filter((l) => !Number.isNaN(l)));
  const lossCalibrated = calibratedLoss(circuit.candidates, calibration);

  const effectsPairIdx = evalPairIdx.slice(0, Math.max(1, opts.effectsPairs));
  const effectsGroups = groupByLength(train, sequencesOf(effectsPairIdx));
  const effectsBaseLoss = meanMaskedLoss(ctx, effectsGroups, size, keep, draw);
  const circuitNodes: number[] = [];
  for (let i = 0; i < total; i++) if (keep[i] === 1) circuitNodes.push(i);
  let effects: Map<number, number> | null = null;
  if (circuitNodes.length <= opts.maxEffectNodes) {
    const bar = opts.progress?.("node effects", circuitNodes.length);
    const losses = nodeEffects(ctx, effectsGroups, size, keep, circuitNodes, draw, (d) => bar?.update(d));
    bar?.stop();
    effects = new Map(circuitNodes.map((n, i) => [n, losses[i]]));
  }
  const layers = layerEffects(ctx, effectsGroups, size, keep, draw);

  return {
    keep,
    k: chosen.k,
    reached: chosen.reached,
    lossFull: meanAt(total),
    lossCircuit,
    lossCalibrated,
    lossEmpty: meanAt(0),
    calibration,
    scores: bestScores,
    trials,
    bestTrial: best,
    evalPairs: evalPairIdx.length,
    nodeEffects: effects,
    layerEffects: layers,
    effectsPairs: effectsPairIdx.length,
    effectsBaseLoss,
  };
}

/**
 * The mean per-sequence loss over `pairs` (sequences 2p, 2p+1 of `losses`) and that mean plus `z`
 * standard errors, the spread taken over the pairs' mean losses (a pair's two sequences share a
 * prompt, so they are not independent). NaN losses (sequences that cannot be scored) are left out.
 */
export function upperBound(
  losses: ArrayLike<number>,
  pairs: readonly number[],
  z: number,
): { mean: number; bound: number } {
  const seq: number[] = [];
  const perPair: number[] = [];
  for (const p of pairs) {
    const both = [losses[2 * p], losses[2 * p + 1]].filter((l) => !Number.isNaN(l));
    seq.push(...both);
    if (both.length > 0) perPair.push(mean(both));
  }
  const m = mean(seq);
  const n = perPair.length;
  if (n < 2) return { mean: m, bound: m };
  const pm = mean(perPair);
  let ss = 0;
  for (const x of perPair) ss += (x - pm) ** 2;
  return { mean: m, bound: m + z * Math.sqrt(ss / (n - 1) / n) };
}

/** One trial's ranking: trained mask logits τ (learned) or attribution scores. */
function rankTrial(
  ctx: PruneContext,
  train: readonly TaskSequence[],
  evalGroups: ReturnType<typeof groupByLength>,
  draw: number,
  opts: PruneRunOptions,
  hyper: MaskHyper,
  trial: number,
  nTrials: number,
): TrialRanking {
  if (opts.method === "learned") {
    const cfg: MaskTrainConfig = { ...opts.mask, ...hyper, seed: mixSeed(opts.mask.seed, trial) };
    const bar = opts.progress?.(trialLabel("train masks", trial, nTrials), cfg.steps);
    const res = trainMasks(ctx, train, cfg, (s) => bar?.update(s.step + 1));
    bar?.stop();
    const trainedKept = res.tau.reduce((n, t) => n + (t >= 0 ? 1 : 0), 0);
    return { scores: res.tau, curve: res.log, trainedKept };
  }
  const bar = opts.progress?.("attribution", 1);
  const scores = attributionScores(ctx, evalGroups, draw);
  bar?.update(1);
  bar?.stop();
  return { scores, curve: [], trainedKept: null };
}

function trialLabel(what: string, trial: number, n: number): string {
  return n > 1 ? `${what} (trial ${trial + 1}/${n})` : what;
}
