import type { CircuitView, ModelInfo } from "../api_types.js";
import { ATTN_SLOTS, FINAL_RESID, MLP_SLOTS, isHeadSlot, nodeKey } from "../node_locations.js";

/** Spacing of the layer graph (px): columns widen to fill MIN_WIDTH when a sublayer has few nodes. */
const MIN_DX = 38;
const MAX_DX = 120;
const MIN_WIDTH = 900;
export const DY = 104;
export const R = 12;
export const LEFT = 108;
export const TOP = 46;

export interface Placed {
  key: string;
  loc: string;
  index: number;
  x: number;
  y: number;
  title: string;
}

export interface GraphLayout {
  sublayer: string;
  rows: { slot: string; loc: string; cols: (number | undefined)[]; count: number }[];
  /** Attention heads: the boxes that group a head's q, k and v channels. */
  heads: { head: number; x: number; width: number }[];
  placed: Placed[];
  pos: Map<string, Placed>;
  width: number;
  height: number;
}

/**
 * Places a sublayer's shown nodes in rows (final_resid is one row of its own); q, k and v are grouped
 * by head so that a head's channels align.
 */
export function layoutSublayer(
  c: CircuitView,
  sub: string,
  model: ModelInfo,
  shown: (key: string) => boolean,
): GraphLayout {
  const isFinal = sub === FINAL_RESID;
  const isAttn = sub.endsWith(".attn");
  const slots: readonly string[] = isFinal ? [FINAL_RESID] : isAttn ? ATTN_SLOTS : MLP_SLOTS;
  const locOf = (slot: string) => (isFinal ? FINAL_RESID : `${sub}.${slot}`);
  const sorted = (slot: string) =>
    [...(c.nodes[locOf(slot)] ?? [])].filter((i) => shown(nodeKey(locOf(slot), i))).sort((a, b) => a - b);
  const rows: GraphLayout["rows"] = [];
  const headCols: { head: number; start: number; width: number }[] = [];
  const headSlots = isAttn ? slots.filter(isHeadSlot) : [];
  const perHead: Record<string, (number | undefined)[]> = Object.fromEntries(headSlots.map((s) => [s, []]));
  if (isAttn) {
    const byHead = new Map<number, Record<string, number[]>>();
    for (const slot of headSlots)
      for (const idx of sorted(slot)) {
        const h = Math.floor(idx / model.dHead);
        const e = byHead.get(h) ?? Object.fromEntries(headSlots.map((s) => [s, [] as number[]]));
        e[slot].push(idx);
        byHead.set(h, e);
      }
    for (const h of [...byHead.keys()].sort((a, b) => a - b)) {
      const e = byHead.get(h)!;
      const width = Math.max(...headSlots.map((slot) => e[slot].length));
      headCols.push({ head: h, start: perHead[headSlots[0]].length, width });
      for (const slot of headSlots) {
        for (let i = 0; i < width; i++) perHead[slot].push(e[slot][i]);
        perHead[slot].push(undefined); // gap between heads
      }
    }
  }
  for (const slot of slots) {
    const cols = isHeadSlot(slot) && isAttn ? perHead[slot].slice(0, -1) : sorted(slot);
    rows.push({ slot, loc: locOf(slot), cols, count: (c.nodes[locOf(slot)] ?? []).length });
  }
  const widthCols = Math.max(1, ...rows.map((r) => r.cols.length));
  const DX = Math.max(MIN_DX, Math.min(MAX_DX, (MIN_WIDTH - LEFT - 40) / widthCols));
  const headRowWidth = headSlots.length > 0 ? (rows.find((r) => isHeadSlot(r.slot))?.cols.length ?? 0) : 0;
  const headOrigin = (widthCols - headRowWidth) / 2;
  const placed: Placed[] = [];
  rows.forEach((row, ri) => {
    // Head-grouped rows share one origin; others are centred.
    const origin = isAttn && isHeadSlot(row.slot) ? headOrigin : (widthCols - row.cols.length) / 2;
    row.cols.forEach((idx, ci) => {
      if (idx === undefined) return;
      const head =
        isAttn && isHeadSlot(row.slot) ? ` (h${Math.floor(idx / model.dHead)}.ch${idx % model.dHead})` : "";
      placed.push({
        key: nodeKey(row.loc, idx),
        loc: row.loc,
        index: idx,
        x: LEFT + (origin + ci) * DX + DX / 2,
        y: TOP + ri * DY,
        title: `${row.loc}[${idx}]${head}`,
      });
    });
  });
  return {
    sublayer: sub,
    rows,
    heads: headCols.map((h) => ({
      head: h.head,
      x: LEFT + (headOrigin + h.start) * DX + 2,
      width: h.width * DX - 4,
    })),
    placed,
    pos: new Map(placed.map((p) => [p.key, p])),
    width: LEFT + widthCols * DX + 40,
    height: TOP + (rows.length - 1) * DY + 44,
  };
}
