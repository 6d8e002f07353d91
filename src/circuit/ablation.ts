import { forward } from "../model/gpt.js";
import type { Intervention } from "../model/hooks.js";
import type { Model } from "../model/model.js";
import { Tensor, type FloatArray } from "../tensor/tensor.js";
import { getBackend } from "../backend/index.js";
import { Rng } from "../random/rng.js";
import { nodeSitePattern, type NodeLayout, type NodeSite } from "./nodes.js";
import type { SequenceGroup } from "./task_data.js";

/** What a pruned node's activation is replaced by. */
export const ABLATION_KINDS = ["mean", "zero", "resample"] as const;
export type AblationKind = (typeof ABLATION_KINDS)[number];

/**
 * The replacement value μ of every channel of one site for one forward group: either one constant per
 * channel (`channel` [width], mean and zero ablation) or one value per row and channel (`rows`
 * [n·t·width], resample ablation).
 */
export interface SiteBaseline {
  channel?: Float32Array;
  rows?: Float32Array;
}

/** Replacement values for every node site, for one group of sequences. */
export type GroupBaselines = Map<string, SiteBaseline>;

/** Gives the replacement values for a group; `draw` seeds the choice of resample sequences. */
export interface BaselineSource {
  kind: AblationKind;
  forGroup(g: SequenceGroup, draw: number): GroupBaselines;
}

/** Mean (or any per-channel constant) ablation: the same μ at every row and position. */
export function constantBaselines(kind: "mean" | "zero", values: Map<string, Float32Array>): BaselineSource {
  const map: GroupBaselines = new Map([...values].map(([name, channel]) => [name, { channel }]));
  return { kind, forGroup: () => map };
}

export function zeroBaselines(layout: NodeLayout): BaselineSource {
  return constantBaselines("zero", new Map(layout.sites.map((s) => [s.name, new Float32Array(s.width)])));
}

/**
 * Resample ablation: each task sequence of length t gets the clean activations of the model on the
 * first t tokens of a pretraining window drawn at random (seeded by `draw` and the row) from `windows`
 * [count, length]. Activations at position p depend only on tokens ≤ p, so the prefix is exactly what a
 * length-t forward of that text gives.
 */
export function resampleBaselines(
  model: Model,
  layout: NodeLayout,
  windows: Int32Array,
  count: number,
  length: number,
): BaselineSource {
  const record = nodeSitePattern(layout);
  return {
    kind: "resample",
    forGroup(g, draw) {
      if (g.t > length) throw new Error(`resample windows hold ${length} tokens, the task needs ${g.t}`);
      const rng = new Rng(draw);
      const ids = new Int32Array(g.n * g.t);
      for (let r = 0; r < g.n; r++) {
        const w = rng.int(count);
        ids.set(windows.subarray(w * length, w * length + g.t), r * g.t);
      }
      const fwd = forward(model, ids, g.n, g.t, { record });
      const out: GroupBaselines = new Map();
      for (const site of layout.sites)
        out.set(site.name, { rows: fwd.hooks.get(site.name)!.data as Float32Array });
      return out;
    },
  };
}

/** Where a mask intervention adds d loss / d m during backward. */
export interface MaskGradient {
  /** Flat over all nodes; receives Σ over rows of dOut·(x − μ). */
  dMask: Float64Array;
  /**
   * Attribution scoring instead: add Σ over sequences of |Σ over positions dOut·(x − μ)| (needs the
   * group's sequence length t).
   */
  perSequenceAbs?: { t: number };
}

/**
 * The node mask at one site: x ↦ m⊙x + (1−m)⊙μ, with m = `mask[site.offset + c]`. Backward passes
 * m⊙dOut to the input and, with `grad`, accumulates d loss / d m as a side effect.
 */
export function maskIntervention(
  site: NodeSite,
  mask: FloatArray,
  base: SiteBaseline,
  grad?: MaskGradient,
): Intervention {
  const w = site.width;
  const off = site.offset;
  // As doubles once (the kernels' type; exact from float32), not at every call.
  const siteMask = new Float64Array(mask.subarray(off, off + w));
  // Whether the mask changes anything (some m ≠ 1), fixed for this intervention's life (one forward/backward).
  let changes = false;
  for (let c = 0; c < w && !changes; c++) changes = siteMask[c] !== 1;
  const mu = base.rows ?? base.channel ?? new Float32Array(w);
  const muPerRow = base.rows !== undefined;
  const be = getBackend();
  const args = (x: FloatArray) => ({ x, rows: x.length / w, width: w, mask: siteMask, mu, muPerRow });
  return {
    // In place: the hook point hands an intervention a copy whenever it keeps the original.
    forward(input: Tensor): Tensor {
      if (changes) be.nodeMaskForward({ ...args(input.data), out: input.data });
      return input;
    },
    // In place too: the backward pass hands over a gradient it does not read again.
    backward(dOut: Tensor, input: Tensor): Tensor {
      if (!changes && !grad) return dOut;
      // d loss / d m of this site's channels is added into the slice of the flat gradient.
      be.nodeMaskBackward({
        ...args(input.data),
        dOut: dOut.data,
        dx: dOut.data,
        dMask: grad?.dMask.subarray(off, off + w),
        perSequence: grad?.perSequenceAbs?.t,
      });
      return dOut;
    },
  };
}

/**
 * Interventions for a forward with node values `mask` (flat, 1 = kept, 0 = ablated). Without a
 * gradient sink, sites whose nodes are all kept get no intervention (nothing to change).
 */
export function maskInterventions(
  layout: NodeLayout,
  mask: FloatArray,
  baselines: GroupBaselines,
  grad?: MaskGradient,
): Map<string, Intervention> {
  const out = new Map<string, Intervention>();
  for (const site of layout.sites) {
    if (!grad) {
      let all = true;
      for (let c = 0; c < site.width && all; c++) all = mask[site.offset + c] === 1;
      if (all) continue;
    }
    out.set(site.name, maskIntervention(site, mask, baselines.get(site.name)!, grad));
  }
  return out;
}
