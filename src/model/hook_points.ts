/**
 * The one table of hook points of the reference GPT: every name, width and node number elsewhere
 * (gpt.ts, hooks.ts, ablate.ts, circuit/nodes.ts, viewer/node_locations.ts) derives from it.
 * No runtime imports: the viewer's browser bundle includes this file.
 */
import type { ModelDims } from "./config.js";

export type Sublayer = "attn" | "mlp";

export interface HookPoint {
  /** A per-layer site's name after "{i}." (e.g. "attn.q"); the whole name of the final site. */
  readonly site: string;
  /** The sublayer the site lies in; absent for the residual stream between sublayers. */
  readonly sublayer?: Sublayer;
  /** Channels of the site's activation (its last dimension). */
  readonly width: (dims: ModelDims) => number;
  /**
   * Place among a layer's nodes in the flat node numbering (spec E.1); absent when the site's channels
   * are not pruning nodes. Existing circuit files fix this numbering: it must never change.
   */
  readonly nodeOrder?: number;
  /** Whether channel c belongs to attention head c // d_head (q, k, v and y). */
  readonly perHead?: boolean;
}

const residualWidth = (d: ModelDims) => d.dModel;
/** The normalised sublayer input: d_model, plus the concatenated positional channels if any. */
const sublayerInputWidth = (d: ModelDims) => d.dModelIn;
const attentionWidth = (d: ModelDims) => d.dAttn;
const neuronWidth = (d: ModelDims) => d.dMlp;

/**
 * The hook points of one layer in forward order, the order the reference records them. Forward order
 * has k before q (the reference sparsifies and records k, then q, then v); node order has q, k, v.
 */
export const LAYER_HOOK_POINTS = [
  { site: "resid_in", width: residualWidth },
  { site: "attn.act_in", sublayer: "attn", width: sublayerInputWidth, nodeOrder: 0 },
  { site: "attn.k", sublayer: "attn", width: attentionWidth, nodeOrder: 2, perHead: true },
  { site: "attn.q", sublayer: "attn", width: attentionWidth, nodeOrder: 1, perHead: true },
  { site: "attn.v", sublayer: "attn", width: attentionWidth, nodeOrder: 3, perHead: true },
  { site: "attn.y", sublayer: "attn", width: attentionWidth, perHead: true },
  { site: "attn.resid_delta", sublayer: "attn", width: residualWidth, nodeOrder: 4 },
  { site: "resid_mid", width: residualWidth },
  { site: "mlp.act_in", sublayer: "mlp", width: sublayerInputWidth, nodeOrder: 5 },
  { site: "mlp.post_act", sublayer: "mlp", width: neuronWidth, nodeOrder: 6 },
  { site: "mlp.resid_delta", sublayer: "mlp", width: residualWidth, nodeOrder: 7 },
] as const satisfies readonly HookPoint[];

/** The residual stream read by the final norm and the unembedding: one site after the last layer. */
export const FINAL_HOOK_POINT = {
  site: "final_resid",
  width: residualWidth,
  nodeOrder: 0,
} as const satisfies HookPoint;

/** A per-layer site name, e.g. "attn.q". */
export type LayerSite = (typeof LAYER_HOOK_POINTS)[number]["site"];

/** The per-layer sites whose channels are nodes, in node order. */
export const LAYER_NODE_POINTS: readonly HookPoint[] = (LAYER_HOOK_POINTS as readonly HookPoint[])
  .filter((p) => p.nodeOrder !== undefined)
  .sort((a, b) => a.nodeOrder! - b.nodeOrder!);

const POINT_BY_SITE = new Map<string, HookPoint>(LAYER_HOOK_POINTS.map((p) => [p.site, p]));

/** The hook name of a per-layer site: "{layer}.{site}". */
export function layerHookName(layer: number, site: LayerSite): string {
  return `${layer}.${site}`;
}

/** The width of a per-layer site in a model of these dimensions. */
export function layerHookWidth(site: LayerSite, dims: ModelDims): number {
  return POINT_BY_SITE.get(site)!.width(dims);
}

/** The slot of a sublayer site: its name after "attn." or "mlp." ("q", "post_act"). */
export function slotOf(point: HookPoint): string {
  return point.sublayer ? point.site.slice(point.sublayer.length + 1) : point.site;
}

/** Every hook name of a model with nLayer layers, in forward order. */
export function hookPointNames(nLayer: number): string[] {
  const names: string[] = [];
  for (let i = 0; i < nLayer; i++) for (const p of LAYER_HOOK_POINTS) names.push(layerHookName(i, p.site));
  names.push(FINAL_HOOK_POINT.site);
  return names;
}

/** The width of every hook point of a model, by hook name, in forward order. */
export function hookPointWidths(dims: ModelDims): Map<string, number> {
  const widths = new Map<string, number>();
  for (let i = 0; i < dims.nLayer; i++) {
    for (const p of LAYER_HOOK_POINTS) widths.set(layerHookName(i, p.site), p.width(dims));
  }
  widths.set(FINAL_HOOK_POINT.site, FINAL_HOOK_POINT.width(dims));
  return widths;
}
