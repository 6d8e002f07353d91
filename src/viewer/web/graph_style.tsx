/** How edges and nodes of the layer graph look, shared by the SVG, the canvas and the exports. */
import type { CircuitEdge, CircuitView } from "../api_types.js";
import { edgeKey, nodeKey } from "../node_locations.js";
import { NEGATIVE, POSITIVE } from "./colour.js";

/** What decides an edge's look beyond its weight. */
export interface EdgeLook {
  maxW: number;
  disabledNodes: ReadonlySet<string>;
  disabledEdges: ReadonlySet<string>;
  selectedEdge?: string;
  /** Links on the path view; when set, edges off the path fade. */
  pathLinks?: ReadonlySet<string>;
}

export interface EdgeStyle {
  stroke: string;
  width: number;
  opacity: number;
  dash?: string;
}

export function edgeStyle(e: CircuitEdge, look: EdgeLook): EdgeStyle {
  const t = look.maxW > 0 ? Math.abs(e.weight) / look.maxW : 0;
  const k = edgeKey(e.src, e.dst);
  const off = look.disabledEdges.has(k) || look.disabledNodes.has(e.src) || look.disabledNodes.has(e.dst);
  const selected = look.selectedEdge === k;
  const faded = look.pathLinks !== undefined && !look.pathLinks.has(k);
  return {
    stroke: off ? "#a0aec0" : selected ? "#dd6b20" : e.weight >= 0 ? POSITIVE : NEGATIVE,
    width: selected ? 3.5 : 0.75 + 3.25 * t,
    opacity: faded ? 0.05 : off ? 0.45 : 0.22 + 0.7 * t,
    dash: off ? "4 3" : undefined,
  };
}

/** The loss increase when a node is additionally ablated, relative to the circuit's own loss. */
export function nodeDeltas(c: CircuitView): Map<string, number> {
  const base = c.effectsBase;
  const out = new Map<string, number>();
  for (const [loc, list] of Object.entries(c.nodes)) {
    const eff = c.nodeEffects[loc];
    if (eff) list.forEach((idx, j) => out.set(nodeKey(loc, idx), eff[j] - base));
  }
  return out;
}

export function maxAbsWeight(edges: readonly CircuitEdge[]): number {
  let m = 0;
  for (const e of edges) m = Math.max(m, Math.abs(e.weight));
  return m;
}

/** A label short enough to sit under a node. */
export function shortLabel(label: string): string {
  return label.length > 16 ? `${label.slice(0, 15)}…` : label;
}
