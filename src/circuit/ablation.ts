import { forward } from "../model/gpt.js";
import type { Intervention } from "../model/hooks.js";
import type { Model } from "../model/model.js";
import { Tensor, type FloatArray } from "../tensor/tensor.js";
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
  // The channels the mask changes (m ≠ 1), fixed for this intervention's life (one forward/backward).
  const changed: number[] = [];
  for (let c = 0; c < w; c++) if (mask[off + c] !== 1) changed.push(c);
  const zeros = new Float32Array(w);
  const channel = base.channel ?? zeros;
  const rowsBase = base.rows;
  /** μ of row r: a view of the resample rows, or the per-channel constants. */
  const muRow = (r: number) => (rowsBase ? rowsBase.subarray(r * w, (r + 1) * w) : channel);
  return {
    forward(input: Tensor): Tensor {
      const out = input.clone();
      const x = out.data;
      const rows = x.length / w;
      if (changed.length === 0) return out;
      for (let r = 0; r < rows; r++) {
        const mu = muRow(r);
        const row = r * w;
        for (const c of changed) {
          const m = mask[off + c];
          x[row + c] = m * x[row + c] + (1 - m) * mu[c];
        }
      }
      return out;
    },
    backward(dOut: Tensor, input: Tensor): Tensor {
      const d = dOut.data;
      const x = input.data;
      const rows = d.length / w;
      if (grad) {
        const acc = grad.dMask;
        const t = grad.perSequenceAbs ? grad.perSequenceAbs.t : rows;
        const s = new Float64Array(w);
        // Sums over the rows of one sequence (attribution: then |·| per sequence) or of all rows.
        for (let seq = 0; seq < rows / t; seq++) {
          s.fill(0);
          for (let r = seq * t; r < (seq + 1) * t; r++) {
            const mu = muRow(r);
            const row = r * w;
            for (let c = 0; c < w; c++) s[c] += d[row + c] * (x[row + c] - mu[c]);
          }
          if (grad.perSequenceAbs) for (let c = 0; c < w; c++) acc[off + c] += Math.abs(s[c]);
          else for (let c = 0; c < w; c++) acc[off + c] += s[c];
        }
      }
      const dx = dOut.clone();
      const out = dx.data;
      if (changed.length === 0) return dx;
      for (let r = 0; r < rows; r++) {
        const row = r * w;
        for (const c of changed) out[row + c] *= mask[off + c];
      }
      return dx;
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
