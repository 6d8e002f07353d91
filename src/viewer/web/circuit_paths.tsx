/**
 * Following a circuit across layers (pure functions over the circuit view): who writes the residual
 * channel a node reads, who reads what it writes, and every path from a node to the logits.
 */
import type { CircuitView, ModelInfo } from "../api_types.js";
import { FINAL_RESID, edgeKey, isHeadSlot, nodeKey, parseLocation, parseNodeKey } from "../node_locations.js";

/** Position of a node's sublayer in the forward pass: layer·2 (+1 for mlp); final_resid comes last. */
function order(loc: string, nLayer: number): number {
  const p = parseLocation(loc);
  if (!p) return -1;
  return p.kind === "final" ? 2 * nLayer : 2 * p.layer + (p.sublayer === "mlp" ? 1 : 0);
}

const isReader = (loc: string) => loc === FINAL_RESID || loc.endsWith(".act_in");
const isWriter = (loc: string) => loc.endsWith(".resid_delta");

/** A residual-stream link: a resid_delta channel read by a later act_in or final_resid of the same channel. */
export const residualKey = (src: string, dst: string) => `res:${src}->${dst}`;

/**
 * The circuit's resid_delta nodes that write the residual channel an act_in or final_resid node reads,
 * earlier in the forward pass (empty for other nodes, and for act_in channels past d_model).
 */
export function residualWriters(c: CircuitView, model: ModelInfo, key: string): string[] {
  const k = parseNodeKey(key);
  if (!k || !isReader(k.loc) || k.index >= model.dModel) return [];
  const at = order(k.loc, model.nLayer);
  return Object.keys(c.nodes)
    .filter((loc) => isWriter(loc) && order(loc, model.nLayer) < at && c.nodes[loc].includes(k.index))
    .sort((a, b) => order(a, model.nLayer) - order(b, model.nLayer))
    .map((loc) => nodeKey(loc, k.index));
}

/** The circuit's act_in and final_resid nodes that read, later on, the channel a resid_delta node writes. */
export function residualReaders(c: CircuitView, model: ModelInfo, key: string): string[] {
  const k = parseNodeKey(key);
  if (!k || !isWriter(k.loc)) return [];
  const at = order(k.loc, model.nLayer);
  return Object.keys(c.nodes)
    .filter((loc) => isReader(loc) && order(loc, model.nLayer) > at && c.nodes[loc].includes(k.index))
    .sort((a, b) => order(a, model.nLayer) - order(b, model.nLayer))
    .map((loc) => nodeKey(loc, k.index));
}

/** The nodes and links that lie on some path from one node to the logits. */
export interface CircuitPath {
  from: string;
  nodes: Set<string>;
  /** Edge keys (`src->dst`) and residual keys (`res:src->dst`) on a path. */
  links: Set<string>;
}

/**
 * Every path from `from` to a final_resid node (the logits read final_resid), through in-layer edges,
 * residual links and, inside attention, from a q or k channel to the v channels of the same head (q·k
 * sets the attention pattern that weights that head's values). Nodes switched off cut paths.
 */
export function pathToLogits(
  c: CircuitView,
  model: ModelInfo,
  from: string,
  off: ReadonlySet<string> = new Set(),
): CircuitPath {
  const next = new Map<string, { to: string; link: string }[]>();
  const add = (src: string, dst: string, link: string) => {
    if (off.has(src) || off.has(dst)) return;
    const list = next.get(src) ?? [];
    list.push({ to: dst, link });
    next.set(src, list);
  };
  for (const e of c.edges) add(e.src, e.dst, edgeKey(e.src, e.dst));
  for (const [loc, list] of Object.entries(c.nodes)) {
    for (const i of list) {
      const key = nodeKey(loc, i);
      if (isWriter(loc)) for (const r of residualReaders(c, model, key)) add(key, r, residualKey(key, r));
      const p = parseLocation(loc);
      if (p?.kind === "block" && isHeadSlot(p.slot) && p.slot !== "v") {
        const head = Math.floor(i / model.dHead);
        const vLoc = `${p.layer}.attn.v`;
        for (const v of c.nodes[vLoc] ?? [])
          if (Math.floor(v / model.dHead) === head) add(key, nodeKey(vLoc, v), `qk:${key}->${vLoc}:${v}`);
      }
    }
  }
  // Forward from the node, then keep what can still reach final_resid (a backward sweep over the same links).
  const reached = new Set<string>([from]);
  const stack = [from];
  while (stack.length > 0)
    for (const { to } of next.get(stack.pop()!) ?? [])
      if (!reached.has(to)) {
        reached.add(to);
        stack.push(to);
      }
  const onPath = new Set([...reached].filter((k) => k.startsWith(`${FINAL_RESID}:`) && !off.has(k)));
  let grew = true;
  while (grew) {
    grew = false;
    for (const k of reached)
      if (!onPath.has(k) && (next.get(k) ?? []).some((l) => onPath.has(l.to))) {
        onPath.add(k);
        grew = true;
      }
  }
  const links = new Set<string>();
  for (const k of onPath) for (const l of next.get(k) ?? []) if (onPath.has(l.to)) links.add(l.link);
  return { from, nodes: onPath, links };
}
