/**
 * Circuit node locations and node keys, shared by the server and the browser (no Node or DOM imports).
 * A location is a hook name (`0.attn.q`, `1.mlp.post_act`, `final_resid`); a node is one channel of a
 * location, written `loc:index` (the circuit file's edge notation).
 */
import { FINAL_HOOK_POINT, LAYER_NODE_POINTS, slotOf, type Sublayer } from "../model/hook_points.js";

/** The sublayer slots that hold nodes, in node order, which is also the drawing order (top to bottom). */
export const ATTN_SLOTS: readonly string[] = nodeSlots("attn");
export const MLP_SLOTS: readonly string[] = nodeSlots("mlp");
export const FINAL_RESID = FINAL_HOOK_POINT.site;

export type { Sublayer };

function nodeSlots(sublayer: Sublayer): string[] {
  return LAYER_NODE_POINTS.filter((p) => p.sublayer === sublayer).map(slotOf);
}

/** A parsed location: `final` for final_resid, otherwise its layer, sublayer and slot. */
export type ParsedLocation =
  { kind: "final" } | { kind: "block"; layer: number; sublayer: Sublayer; slot: string };

const BLOCK_LOCATION = /^(\d+)\.(attn|mlp)\.([a-z_]+)$/;

/** Parses a node location, or returns undefined when it is not one (e.g. `0.attn.y`, `resid_mid`). */
export function parseLocation(loc: string): ParsedLocation | undefined {
  if (loc === FINAL_RESID) return { kind: "final" };
  const m = BLOCK_LOCATION.exec(loc);
  if (!m) return undefined;
  const sublayer = m[2] as Sublayer;
  const slots = sublayer === "attn" ? ATTN_SLOTS : MLP_SLOTS;
  if (!slots.includes(m[3])) return undefined;
  return { kind: "block", layer: Number(m[1]), sublayer, slot: m[3] };
}

/** Every node location of a model with nLayer blocks, in node order. */
export function nodeLocations(nLayer: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < nLayer; i++) for (const p of LAYER_NODE_POINTS) out.push(`${i}.${p.site}`);
  out.push(FINAL_RESID);
  return out;
}

/** `loc:index`, the key of one node. */
export function nodeKey(loc: string, index: number): string {
  return `${loc}:${index}`;
}

/** Splits `loc:index`; undefined when malformed. */
export function parseNodeKey(key: string): { loc: string; index: number } | undefined {
  const colon = key.lastIndexOf(":");
  if (colon <= 0) return undefined;
  const index = Number(key.slice(colon + 1));
  if (!Number.isInteger(index) || index < 0 || key.slice(colon + 1).trim() === "") return undefined;
  return { loc: key.slice(0, colon), index };
}

/** `src->dst`, the key of one edge. */
export function edgeKey(src: string, dst: string): string {
  return `${src}->${dst}`;
}

/** The sublayer a location belongs to, as the circuit file's layer_effects key (`0.attn`), if any. */
export function sublayerOf(loc: string): string | undefined {
  const p = parseLocation(loc);
  return p?.kind === "block" ? `${p.layer}.${p.sublayer}` : undefined;
}

const HEAD_NODE_SLOTS = new Set(
  LAYER_NODE_POINTS.filter((p) => p.sublayer === "attn" && p.perHead).map(slotOf),
);

/** Whether the attention slot is a q, k or v channel (whose head is index // d_head). */
export function isHeadSlot(slot: string): boolean {
  return HEAD_NODE_SLOTS.has(slot);
}
