import { backward, forward } from "../model/gpt.js";
import type { Model } from "../model/model.js";
import { StepWorkspace } from "../model/workspace.js";
import type { Tensor, FloatArray } from "../tensor/tensor.js";
import { mixSeed } from "../random/seed.js";
import { maskInterventions, type BaselineSource, type MaskGradient } from "./ablation.js";
import type { NodeLayout } from "./nodes.js";
import type { SequenceGroup } from "./task_data.js";
import { contrastLoss, type CandidateLogits, type Calibration } from "./task_loss.js";

/** What every masked forward needs: the model, its nodes and the replacement values. */
export interface PruneContext {
  /** Float32 in use; float64 for finite-difference checks of the mask gradients. */
  model: Model<FloatArray>;
  /** The same model with no trained parameters, so backward computes activation gradients only. */
  frozen: Model<FloatArray>;
  layout: NodeLayout;
  baselines: BaselineSource;
}

/**
 * The model seen as frozen by backward(): parameters become buffers, so no weight gradient is computed
 * (a third of the cost). A learnable bigram table stays a parameter because backward writes its gradient
 * unconditionally; that gradient is cheap and ignored.
 */
export function frozenModel<A extends FloatArray>(model: Model<A>): Model<A> {
  return {
    ...model,
    specs: model.specs.map((s) => (s.name === "bigram_table" ? s : { ...s, role: "buffer" as const })),
  };
}

/**
 * The arrays the masked runs of one context reuse, pass after pass (each group's results are read
 * before the next group's pass): the forward's and backward's activations and gradients, and the
 * gradient of a learnable bigram table (which the frozen model's backward still writes).
 */
interface RunBuffers {
  workspace: StepWorkspace;
  gradBuffers: Map<string, Tensor>;
}
const runBuffers = new WeakMap<PruneContext, RunBuffers>();

function buffersOf(ctx: PruneContext): RunBuffers {
  let b = runBuffers.get(ctx);
  if (!b) runBuffers.set(ctx, (b = { workspace: new StepWorkspace(), gradBuffers: new Map() }));
  return b;
}

/** Per-sequence results of a masked evaluation, indexed like the sequences the groups were built from. */
export interface MaskedLosses {
  losses: Float64Array;
  candidates: CandidateLogits;
}

/**
 * Losses with node values `mask` (1 kept, 0 ablated; fractional values interpolate) over `groups`;
 * `size` = number of sequences the groups index into. `draw` seeds resample ablation.
 */
export function maskedLosses(
  ctx: PruneContext,
  groups: readonly SequenceGroup[],
  size: number,
  mask: FloatArray,
  opts: { calibration?: Calibration; draw?: number } = {},
): MaskedLosses {
  const losses = new Float64Array(size).fill(NaN);
  const candidates: CandidateLogits = {
    correct: new Float64Array(size).fill(NaN),
    alt: new Float64Array(size).fill(NaN),
    correctId: new Int32Array(size),
    altId: new Int32Array(size),
  };
  const { workspace } = buffersOf(ctx);
  groups.forEach((g, gi) => {
    const baselines = ctx.baselines.forGroup(g, mixSeed(opts.draw ?? 0, gi));
    const interventions = maskInterventions(ctx.layout, mask, baselines);
    const fwd = forward(ctx.model, g.ids, g.n, g.t, { interventions, workspace });
    const res = contrastLoss(fwd.logits.data, g, ctx.model.dims.vocab, { calibration: opts.calibration });
    g.members.forEach((m, r) => {
      losses[m] = res.losses[r];
      candidates.correct[m] = res.candidates.correct[r];
      candidates.alt[m] = res.candidates.alt[r];
      candidates.correctId[m] = res.candidates.correctId[r];
      candidates.altId[m] = res.candidates.altId[r];
    });
  });
  return { losses, candidates };
}

/**
 * Mean loss over the sequences of `groups` with node values `mask`, and d(mean loss)/d mask added into
 * `grad.dMask` (or attribution scores, see MaskGradient). `draw` seeds resample ablation.
 */
export function maskedLossGradient(
  ctx: PruneContext,
  groups: readonly SequenceGroup[],
  mask: FloatArray,
  grad: Omit<MaskGradient, "perSequenceAbs"> & { attribution?: boolean },
  draw = 0,
): number {
  const total = groups.reduce((s, g) => s + g.n, 0);
  const V = ctx.model.dims.vocab;
  let sum = 0;
  const { workspace, gradBuffers } = buffersOf(ctx);
  groups.forEach((g, gi) => {
    const baselines = ctx.baselines.forGroup(g, mixSeed(draw, gi));
    const sink: MaskGradient = {
      dMask: grad.dMask,
      perSequenceAbs: grad.attribution ? { t: g.t } : undefined,
    };
    const interventions = maskInterventions(ctx.layout, mask, baselines, sink);
    const fwd = forward(ctx.model, g.ids, g.n, g.t, { interventions, keepCache: true, workspace });
    const dLogits = workspace.floats(fwd.logits.data, g.n * g.t * V);
    const { losses } = contrastLoss(fwd.logits.data, g, V, { dLogits, gradScale: 1 / total });
    for (const l of losses) sum += l;
    backward(ctx.frozen, fwd, { dLogits, gradBuffers });
  });
  return sum / total;
}
