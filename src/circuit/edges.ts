import type { Model } from "../model/model.js";
import type { NodeLayout } from "./nodes.js";

/** A nonzero weight between two circuit nodes, as "site:channel" labels. */
export interface CircuitEdge {
  src: string;
  dst: string;
  weight: number;
}

/** A residual-stream identity link: a resid_delta channel read by a later act_in or final_resid. */
export interface ResidualLink {
  src: string;
  dst: string;
}

/** Kept channels per site, as sorted arrays (sites without kept channels map to []). */
function keptLists(layout: NodeLayout, keep: ArrayLike<number>): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const s of layout.sites) {
    const list: number[] = [];
    for (let c = 0; c < s.width; c++) if (keep[s.offset + c] !== 0) list.push(c);
    out.set(s.name, list);
  }
  return out;
}

/** Float32 weights printed with 9 significant digits: enough to read back the same float32. */
function round32(w: number): number {
  return Number(Math.fround(w).toPrecision(9));
}

/**
 * The circuit's edges (spec E.1): every nonzero entry of a weight matrix that connects two kept nodes,
 * i.e. act_in→q/k/v (c_attn rows 0..D−1, D..2D−1, 2D..3D−1), v→attn.resid_delta (attn c_proj; the v
 * channel is the y channel it becomes), act_in→post_act (c_fc), post_act→mlp.resid_delta (mlp c_proj).
 * Residual identity links and q·k pairings are not weight entries, so they are not edges (see
 * residualLinks). Order: layer, then matrix, then destination, then source.
 */
export function circuitEdges(model: Model, layout: NodeLayout, keep: ArrayLike<number>): CircuitEdge[] {
  const kept = keptLists(layout, keep);
  const { dAttn: D, dModelIn: dIn, dMlp } = model.dims;
  const edges: CircuitEdge[] = [];
  const matrix = (weight: string, cols: number, rowOffset: number, srcSite: string, dstSite: string) => {
    const W = model.params.get(weight)!.data;
    for (const r of kept.get(dstSite)!) {
      for (const c of kept.get(srcSite)!) {
        const w = W[(rowOffset + r) * cols + c];
        if (w !== 0) edges.push({ src: `${srcSite}:${c}`, dst: `${dstSite}:${r}`, weight: round32(w) });
      }
    }
  };
  for (let i = 0; i < model.dims.nLayer; i++) {
    const p = `transformer.h.${i}`;
    matrix(`${p}.attn.c_attn.weight`, dIn, 0, `${i}.attn.act_in`, `${i}.attn.q`);
    matrix(`${p}.attn.c_attn.weight`, dIn, D, `${i}.attn.act_in`, `${i}.attn.k`);
    matrix(`${p}.attn.c_attn.weight`, dIn, 2 * D, `${i}.attn.act_in`, `${i}.attn.v`);
    matrix(`${p}.attn.c_proj.weight`, D, 0, `${i}.attn.v`, `${i}.attn.resid_delta`);
    matrix(`${p}.mlp.c_fc.weight`, dIn, 0, `${i}.mlp.act_in`, `${i}.mlp.post_act`);
    matrix(`${p}.mlp.c_proj.weight`, dMlp, 0, `${i}.mlp.post_act`, `${i}.mlp.resid_delta`);
  }
  return edges;
}

/**
 * Residual identity links between kept nodes: resid_delta channel c of a sublayer feeds channel c of
 * every later act_in (through its RMSNorm) and of final_resid. Recorded for viewers; not counted as edges.
 */
export function residualLinks(layout: NodeLayout, keep: ArrayLike<number>): ResidualLink[] {
  const kept = keptLists(layout, keep);
  const links: ResidualLink[] = [];
  const writers = layout.sites.filter((s) => s.name.endsWith("resid_delta"));
  const readers = layout.sites.filter((s) => s.name.endsWith("act_in") || s.name === "final_resid");
  const position = new Map(layout.sites.map((s, i) => [s.name, i]));
  for (const w of writers) {
    const written = new Set(kept.get(w.name)!);
    if (written.size === 0) continue;
    for (const r of readers) {
      if (position.get(r.name)! < position.get(w.name)!) continue;
      for (const c of kept.get(r.name)!)
        if (written.has(c)) links.push({ src: `${w.name}:${c}`, dst: `${r.name}:${c}` });
    }
  }
  return links;
}
