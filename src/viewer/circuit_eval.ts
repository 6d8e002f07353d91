import { mixSeed } from "../random/seed.js";
import { CspError } from "../errors.js";
import { forward } from "../model/gpt.js";
import type { Model } from "../model/model.js";
import { maskInterventions } from "../circuit/ablation.js";
import type { PruneContext } from "../circuit/masked_run.js";
import { groupByLength } from "../circuit/task_data.js";
import { Tensor } from "../tensor/tensor.js";
import { parseLocation, parseNodeKey } from "./node_locations.js";

/** Where an in-layer edge lives: the weight matrix, its row and column, and the bias it feeds. */
interface WeightEntry {
  weight: string;
  bias: string;
  rows: number;
  row: number;
  col: number;
  srcLoc: string;
  srcIndex: number;
}

/** The weight entry behind an edge, or a CspError for edges that are not one weight (e.g. across layers). */
export function edgeWeight(model: Model, edge: { src: string; dst: string }): WeightEntry {
  const s = parseNodeKey(edge.src);
  const d = parseNodeKey(edge.dst);
  const ps = s && parseLocation(s.loc);
  const pd = d && parseLocation(d.loc);
  const refuse = (): never => {
    throw new CspError(
      `edge ${edge.src} -> ${edge.dst} is not a single weight of the model (in-layer edges only)`,
    );
  };
  if (!s || !d || ps?.kind !== "block" || pd?.kind !== "block") return refuse();
  if (ps.layer !== pd.layer || ps.sublayer !== pd.sublayer) return refuse();
  const { dims } = model;
  const pre = `transformer.h.${ps.layer}.${ps.sublayer}`;
  const pair = `${ps.slot}>${pd.slot}`;
  const entry = (weight: string, rows: number, row: number): WeightEntry => ({
    weight: `${pre}.${weight}.weight`,
    bias: `${pre}.${weight}.bias`,
    rows,
    row,
    col: s.index,
    srcLoc: s.loc,
    srcIndex: s.index,
  });
  if (ps.sublayer === "attn") {
    const offset = { q: 0, k: 1, v: 2 }[pd.slot as "q" | "k" | "v"];
    if (ps.slot === "act_in" && offset !== undefined)
      return entry("c_attn", 3 * dims.dAttn, offset * dims.dAttn + d.index);
    if (pair === "v>resid_delta") return entry("c_proj", dims.dModel, d.index);
  } else {
    if (pair === "act_in>post_act") return entry("c_fc", dims.dMlp, d.index);
    if (pair === "post_act>resid_delta") return entry("c_proj", dims.dModel, d.index);
  }
  return refuse();
}

/**
 * A copy of the model in which each listed edge is switched off: its weight is set to zero and W·μ_src
 * is added to the bias, so the target receives the source's baseline contribution instead of the live
 * one (`baseline(loc, index)`: the mean, or 0 for zero ablation; for v → resid_delta the v channel's
 * mean stands in for the attention output's). Shares unchanged tensors.
 */
export function withEdgesAblated(
  model: Model,
  edges: readonly { src: string; dst: string }[],
  baseline: (loc: string, index: number) => number,
): Model {
  if (edges.length === 0) return model;
  const params = new Map(model.params);
  const copied = new Set<string>();
  const own = (name: string, rows: number): Float32Array => {
    let t = params.get(name);
    if (!t) {
      // Bias-free models get a zero bias: forward() uses one when present.
      t = new Tensor(new Float32Array(rows), [rows]);
      params.set(name, t);
      copied.add(name);
    } else if (!copied.has(name)) {
      t = t.clone();
      params.set(name, t);
      copied.add(name);
    }
    return t.data;
  };
  for (const e of edges) {
    const w = edgeWeight(model, e);
    const cols = model.params.get(w.weight)!.shape[1];
    const data = own(w.weight, 0);
    const value = data[w.row * cols + w.col];
    data[w.row * cols + w.col] = 0;
    const mu = baseline(w.srcLoc, w.srcIndex);
    if (mu !== 0) own(w.bias, w.rows)[w.row] += value * mu;
  }
  return { ...model, params };
}

/**
 * The logits at the last position of each sequence [V] under node values `mask` (1 kept, 0 ablated),
 * with the context's ablation baselines; `draw` seeds resample ablation as pruning does.
 */
export function maskedLastLogits(
  ctx: PruneContext,
  seqs: readonly Int32Array[],
  mask: Float32Array,
  draw: number,
): Float32Array[] {
  const out: Float32Array[] = new Array(seqs.length);
  const groups = groupByLength(seqs.map((ids) => ({ ids, correct: 0, alt: 0 })));
  const V = ctx.model.dims.vocab;
  groups.forEach((g, gi) => {
    const interventions = maskInterventions(ctx.layout, mask, ctx.baselines.forGroup(g, mixSeed(draw, gi)));
    const { logits } = forward(ctx.model, g.ids, g.n, g.t, { interventions });
    g.members.forEach((m, r) => {
      const off = (r * g.t + g.t - 1) * V;
      out[m] = Float32Array.from(logits.data.subarray(off, off + V));
    });
  });
  return out;
}

/** One site's activations [t·width] on one sequence under node values `mask`. */
export function maskedActivations(
  ctx: PruneContext,
  ids: Int32Array,
  mask: Float32Array,
  draw: number,
  loc: string,
): { data: Float32Array; width: number } {
  const [g] = groupByLength([{ ids, correct: 0, alt: 0 }]);
  const interventions = maskInterventions(ctx.layout, mask, ctx.baselines.forGroup(g, mixSeed(draw, 0)));
  const record = new RegExp(`^${loc.replace(/\./g, "\\.")}$`);
  const h = forward(ctx.model, ids, 1, ids.length, { interventions, record }).hooks.get(loc)!;
  return { data: h.data as Float32Array, width: h.width };
}

/** The k most likely next tokens, with probabilities. */
export function topTokens(logits: Float32Array, k: number): { token: number; prob: number }[] {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  let z = 0;
  for (const v of logits) z += Math.exp(v - max);
  const order = [...logits.keys()].sort((a, b) => logits[b] - logits[a] || a - b).slice(0, k);
  return order.map((token) => ({ token, prob: Math.exp(logits[token] - max) / z }));
}
