/**
 * The view in the page's URL (after `#`), so that a copied link reopens the same circuit, sublayer,
 * selection, edits, pins, hidden nodes and threshold. Node and edge keys never contain commas, so lists
 * are comma-joined: `#c=0&s=0.attn&n=0.attn.q:5&off=0.mlp.post_act:3,final_resid:2&t=0.05`.
 */
import { FINAL_RESID, parseNodeKey, sublayerOf } from "../node_locations.js";

export interface UrlView {
  circuit?: number;
  tab?: string;
  sublayer?: string;
  node?: string;
  edge?: string;
  /** Nodes and edges switched off. */
  off: string[];
  edgesOff: string[];
  pinned: string[];
  hidden: string[];
  /** Edges with |w| below this are not drawn. */
  threshold?: number;
  pinnedOnly: boolean;
  /** The node whose paths to the logits are highlighted. */
  path?: string;
}

const list = (v: string | null) => (v ? v.split(",").filter((s) => s !== "") : []);
const optional = (v: string | null) => (v === null || v === "" ? undefined : v);
const number = (v: string | null) => {
  const n = v === null || v === "" ? NaN : Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
};

/** The sublayer a node is drawn in (final_resid has its own), for links that name a node only. */
function sublayerOfNode(key: string | undefined): string | undefined {
  const loc = key === undefined ? undefined : parseNodeKey(key)?.loc;
  return loc === FINAL_RESID ? FINAL_RESID : loc && sublayerOf(loc);
}

export function parseUrlView(hash: string): UrlView {
  const q = new URLSearchParams(hash.replace(/^#/, ""));
  const c = number(q.get("c"));
  const node = optional(q.get("n"));
  return {
    circuit: c !== undefined && Number.isInteger(c) ? c : undefined,
    tab: optional(q.get("tab")),
    sublayer: optional(q.get("s")) ?? sublayerOfNode(node),
    node,
    edge: optional(q.get("e")),
    off: list(q.get("off")),
    edgesOff: list(q.get("eoff")),
    pinned: list(q.get("pin")),
    hidden: list(q.get("hide")),
    threshold: number(q.get("t")),
    pinnedOnly: q.get("po") === "1",
    path: optional(q.get("path")),
  };
}

export function formatUrlView(v: UrlView): string {
  const q = new URLSearchParams();
  const set = (k: string, val: string | number | undefined) => {
    if (val !== undefined && val !== "") q.set(k, String(val));
  };
  set("c", v.circuit);
  if (v.tab !== "circuit") set("tab", v.tab);
  set("s", v.sublayer);
  set("n", v.node);
  set("e", v.edge);
  set("off", v.off.join(","));
  set("eoff", v.edgesOff.join(","));
  set("pin", v.pinned.join(","));
  set("hide", v.hidden.join(","));
  if (v.threshold) set("t", v.threshold);
  if (v.pinnedOnly) set("po", 1);
  set("path", v.path);
  // Keep the separators readable: ':' ',' '>' are safe in a fragment.
  return `#${q.toString().replace(/%3A/g, ":").replace(/%2C/g, ",").replace(/%3E/g, ">")}`;
}

/** The view the page was opened with (read once, when the module loads). */
const opened: UrlView = parseUrlView(typeof location === "undefined" ? "" : location.hash);
/** Which parts of the page took the opened view already (the edits and selection; the graph tools). */
const taken = new Set<string>();

/** The circuit the URL names, when the session has it. */
export function urlCircuit(ids: readonly number[]): number | undefined {
  return opened.circuit !== undefined && ids.includes(opened.circuit) ? opened.circuit : undefined;
}

/**
 * The opened URL's view, once per part of the page, for the first circuit shown when the URL names that
 * circuit (or none): later circuit switches start fresh.
 */
export function takeUrlView(circuitId: number, part: "state" | "tools"): UrlView | undefined {
  if (taken.has(part)) return undefined;
  taken.add(part);
  return opened.circuit === undefined || opened.circuit === circuitId ? opened : undefined;
}

/** Replaces the URL's fragment without a history entry per click. */
export function writeUrlView(v: UrlView): void {
  const hash = formatUrlView(v);
  if (location.hash !== hash) history.replaceState(null, "", hash);
}
