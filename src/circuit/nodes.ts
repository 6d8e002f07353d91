import type { ModelDims } from "../model/config.js";
import { FINAL_HOOK_POINT, LAYER_NODE_POINTS } from "../model/hook_points.js";

/** The node sites of one layer, in node order (spec E.1); each is a hook name after "{i}.". */
export const LAYER_NODE_SITES: readonly string[] = LAYER_NODE_POINTS.map((p) => p.site);

/** The residual channels read by the unembedding: one site after the last layer. */
export const FINAL_NODE_SITE = FINAL_HOOK_POINT.site;

/** One hook location whose channels are nodes. */
export interface NodeSite {
  /** Hook name, e.g. "2.mlp.post_act" or "final_resid". */
  name: string;
  /** Layer index; nLayer for final_resid. */
  layer: number;
  /** "attn" | "mlp" | "final". */
  sublayer: "attn" | "mlp" | "final";
  /** Number of channels (nodes) at the site. */
  width: number;
  /** Index of the site's first node in the flat node vector. */
  offset: number;
}

/** Every node of a model: sites in node order (spec E.1) and the flat numbering of their channels. */
export interface NodeLayout {
  sites: NodeSite[];
  byName: Map<string, NodeSite>;
  /** Σ widths: 2·Din + 3D + 2·d_model + d_mlp per layer, plus d_model for final_resid. */
  total: number;
}

export function nodeLayout(dims: ModelDims): NodeLayout {
  const sites: NodeSite[] = [];
  let offset = 0;
  const add = (name: string, layer: number, sublayer: NodeSite["sublayer"], width: number) => {
    sites.push({ name, layer, sublayer, width, offset });
    offset += width;
  };
  for (let i = 0; i < dims.nLayer; i++) {
    for (const p of LAYER_NODE_POINTS) add(`${i}.${p.site}`, i, p.sublayer!, p.width(dims));
  }
  add(FINAL_NODE_SITE, dims.nLayer, "final", FINAL_HOOK_POINT.width(dims));
  return { sites, byName: new Map(sites.map((s) => [s.name, s])), total: offset };
}

/** A regular expression matching exactly the node sites (for forward's `record`). */
export function nodeSitePattern(layout: NodeLayout): RegExp {
  const escaped = layout.sites.map((s) => s.name.replace(/\./g, "\\."));
  return new RegExp(`^(?:${escaped.join("|")})$`);
}

/** "site:index" for a flat node number (for logs and edge lists). */
export function nodeLabel(layout: NodeLayout, flat: number): string {
  const site = siteOf(layout, flat);
  return `${site.name}:${flat - site.offset}`;
}

/** The site holding flat node number `flat` (binary search over offsets). */
export function siteOf(layout: NodeLayout, flat: number): NodeSite {
  const { sites } = layout;
  if (!(flat >= 0 && flat < layout.total)) throw new Error(`node ${flat} is outside [0, ${layout.total})`);
  let lo = 0;
  let hi = sites.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (sites[mid].offset <= flat) lo = mid;
    else hi = mid - 1;
  }
  return sites[lo];
}

/** The kept channels per site of a 0/1 vector over the flat node numbering (sites with none omitted). */
export function keptBySite(layout: NodeLayout, keep: Uint8Array): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const site of layout.sites) {
    const kept: number[] = [];
    for (let c = 0; c < site.width; c++) if (keep[site.offset + c]) kept.push(c);
    if (kept.length > 0) out.set(site.name, kept);
  }
  return out;
}
