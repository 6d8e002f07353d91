import type { Ref } from "preact";
import type { CircuitEdge, CircuitView, ModelInfo } from "../api_types.js";
import { ATTN_SLOTS, MLP_SLOTS, edgeKey, isHeadSlot, nodeKey, parseNodeKey } from "../node_locations.js";
import { NEGATIVE, POSITIVE, effectFill, effectText } from "./colour.js";
import { fmtLoss, fmtNum } from "./format.js";

/** Spacing of the layer graph (px): columns widen to fill MIN_WIDTH when a sublayer has few nodes. */
const MIN_DX = 38;
const MAX_DX = 120;
const MIN_WIDTH = 900;
const DY = 104;
const R = 12;
const LEFT = 108;
const TOP = 46;

export interface NodeState {
  disabledNodes: ReadonlySet<string>;
  disabledEdges: ReadonlySet<string>;
  selectedNode?: string;
  selectedEdge?: string;
}

interface Placed {
  key: string;
  loc: string;
  index: number;
  x: number;
  y: number;
  title: string;
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
  return edges.reduce((m, e) => Math.max(m, Math.abs(e.weight)), 0);
}

/** Places a sublayer's nodes in rows; q, k and v are grouped by head so that a head's channels align. */
function layout(c: CircuitView, sub: string, model: ModelInfo) {
  const isAttn = sub.endsWith(".attn");
  const slots: readonly string[] = isAttn ? ATTN_SLOTS : MLP_SLOTS;
  const rows: { slot: string; cols: (number | undefined)[] }[] = [];
  const heads: { head: number; start: number; width: number }[] = [];
  const sorted = (slot: string) => [...(c.nodes[`${sub}.${slot}`] ?? [])].sort((a, b) => a - b);
  if (isAttn) {
    const headSlots = slots.filter(isHeadSlot);
    const perSlot = <T,>(): Record<string, T[]> => Object.fromEntries(headSlots.map((s) => [s, [] as T[]]));
    const byHead = new Map<number, Record<string, number[]>>();
    for (const slot of headSlots)
      for (const idx of sorted(slot)) {
        const h = Math.floor(idx / model.dHead);
        const e = byHead.get(h) ?? perSlot<number>();
        e[slot].push(idx);
        byHead.set(h, e);
      }
    const headCols = perSlot<number | undefined>();
    for (const h of [...byHead.keys()].sort((a, b) => a - b)) {
      const e = byHead.get(h)!;
      const width = Math.max(...headSlots.map((slot) => e[slot].length));
      const start = headCols[headSlots[0]].length;
      heads.push({ head: h, start, width });
      for (const slot of headSlots) {
        for (let i = 0; i < width; i++) headCols[slot].push(e[slot][i]);
        headCols[slot].push(undefined); // gap between heads
      }
    }
    for (const slot of slots)
      rows.push({ slot, cols: isHeadSlot(slot) ? headCols[slot].slice(0, -1) : sorted(slot) });
  } else {
    for (const slot of slots) rows.push({ slot, cols: sorted(slot) });
  }
  const width = Math.max(1, ...rows.map((r) => r.cols.length));
  const DX = Math.max(MIN_DX, Math.min(MAX_DX, (MIN_WIDTH - LEFT - 40) / width));
  const placed: Placed[] = [];
  const offsets = new Map<string, number>();
  rows.forEach((row, ri) => {
    // Head-grouped rows share one origin; others are centred.
    const origin = isHeadSlot(row.slot) ? (width - rows[1].cols.length) / 2 : (width - row.cols.length) / 2;
    offsets.set(row.slot, origin);
    row.cols.forEach((idx, ci) => {
      if (idx === undefined) return;
      const loc = `${sub}.${row.slot}`;
      const head = isHeadSlot(row.slot) ? ` (h${Math.floor(idx / model.dHead)}.ch${idx % model.dHead})` : "";
      placed.push({
        key: nodeKey(loc, idx),
        loc,
        index: idx,
        x: LEFT + (origin + ci) * DX + DX / 2,
        y: TOP + ri * DY,
        title: `${loc}[${idx}]${head}`,
      });
    });
  });
  return { rows, heads, width, placed, headOrigin: offsets.get("q") ?? 0, DX };
}

export interface LayerGraphProps {
  circuit: CircuitView;
  sublayer: string;
  model: ModelInfo;
  state: NodeState;
  onNode: (key: string) => void;
  onEdge: (key: string) => void;
  svgRef?: Ref<SVGSVGElement>;
}

/** One sublayer's circuit as SVG: nodes in rows, edges coloured by sign and sized by magnitude. */
export function LayerGraph({ circuit, sublayer, model, state, onNode, onEdge, svgRef }: LayerGraphProps) {
  const { rows, heads, width, placed, headOrigin, DX } = layout(circuit, sublayer, model);
  const pos = new Map(placed.map((p) => [p.key, p]));
  const deltas = nodeDeltas(circuit);
  const maxDelta = Math.max(0, ...deltas.values());
  const maxW = maxAbsWeight(circuit.edges);
  const edges = circuit.edges.filter((e) => pos.has(e.src) && pos.has(e.dst));
  const w = LEFT + width * DX + 40;
  const h = TOP + (rows.length - 1) * DY + 44;
  const isOff = (k: string) => state.disabledNodes.has(k);
  const edgeOff = (e: CircuitEdge) =>
    state.disabledEdges.has(edgeKey(e.src, e.dst)) || isOff(e.src) || isOff(e.dst);
  // Weak edges first so that strong ones are drawn on top.
  const order = [...edges].sort((a, b) => Math.abs(a.weight) - Math.abs(b.weight));
  return (
    <svg
      ref={svgRef}
      class="layer-graph"
      xmlns="http://www.w3.org/2000/svg"
      width={w}
      height={h}
      viewBox={`0 0 ${w} ${h}`}
      font-family="Inter, system-ui, sans-serif"
      data-sublayer={sublayer}
    >
      <rect x={0} y={0} width={w} height={h} fill="#ffffff" />
      {rows.map((row, ri) => (
        <g key={row.slot}>
          <line
            x1={LEFT - 8}
            x2={w - 16}
            y1={TOP + ri * DY}
            y2={TOP + ri * DY}
            stroke="#eef0f3"
            stroke-width={1}
          />
          <text x={12} y={TOP + ri * DY + 4} font-size={12} fill="#4a5568" font-weight={600}>
            {row.slot}
          </text>
          <text x={12} y={TOP + ri * DY + 18} font-size={10} fill="#a0aec0">
            {(circuit.nodes[`${sublayer}.${row.slot}`] ?? []).length} nodes
          </text>
        </g>
      ))}
      {heads.map((hd) => (
        <g key={hd.head}>
          <rect
            x={LEFT + (headOrigin + hd.start) * DX + 2}
            y={TOP + DY - 26}
            width={hd.width * DX - 4}
            height={2 * DY + 44}
            rx={8}
            fill="#f5f3ff"
            stroke="#ddd6fe"
          />
          <text
            x={LEFT + (headOrigin + hd.start + hd.width / 2) * DX}
            y={TOP + DY - 32}
            font-size={11}
            text-anchor="middle"
            fill="#6b46c1"
            font-weight={600}
          >
            head {hd.head}
          </text>
        </g>
      ))}
      {order.map((e) => {
        const a = pos.get(e.src)!;
        const b = pos.get(e.dst)!;
        const t = maxW > 0 ? Math.abs(e.weight) / maxW : 0;
        const k = edgeKey(e.src, e.dst);
        const off = edgeOff(e);
        const selected = state.selectedEdge === k;
        const midY = (a.y + b.y) / 2;
        const d = `M${a.x},${a.y + R} C${a.x},${midY} ${b.x},${midY} ${b.x},${b.y - R}`;
        return (
          <g key={k} class="edge" data-edge={k} onClick={() => onEdge(k)}>
            <path d={d} stroke="transparent" stroke-width={9} fill="none" />
            <path
              d={d}
              fill="none"
              stroke={off ? "#a0aec0" : selected ? "#dd6b20" : e.weight >= 0 ? POSITIVE : NEGATIVE}
              stroke-width={selected ? 3.5 : 0.75 + 3.25 * t}
              stroke-opacity={off ? 0.45 : 0.22 + 0.7 * t}
              stroke-dasharray={off ? "4 3" : undefined}
            >
              <title>{`${e.src} → ${e.dst}  weight ${fmtNum(e.weight)}${off ? "  (off)" : ""}`}</title>
            </path>
          </g>
        );
      })}
      {placed.map((p) => {
        const delta = deltas.get(p.key);
        const off = isOff(p.key);
        const selected = state.selectedNode === p.key;
        return (
          <g
            key={p.key}
            class={`node${off ? " off" : ""}${selected ? " selected" : ""}`}
            data-node={p.key}
            transform={`translate(${p.x},${p.y})`}
            onClick={() => onNode(p.key)}
            cursor="pointer"
          >
            {selected && <circle r={R + 5} fill="none" stroke="#dd6b20" stroke-width={2.5} />}
            <circle
              r={R}
              fill={off ? "#edf2f7" : effectFill(delta, maxDelta)}
              stroke={off ? "#a0aec0" : "#2d3748"}
              stroke-width={1.25}
              stroke-dasharray={off ? "3 2" : undefined}
            />
            <text
              y={3.5}
              font-size={p.index >= 1000 ? 8 : 9.5}
              text-anchor="middle"
              fill={off ? "#a0aec0" : effectText(delta, maxDelta)}
              pointer-events="none"
            >
              {p.index}
            </text>
            <title>{`${p.title}\nablation Δ loss ${fmtLoss(delta)}${off ? "\n(switched off)" : ""}`}</title>
          </g>
        );
      })}
      {placed.length === 0 && (
        <text x={w / 2} y={h / 2} text-anchor="middle" fill="#a0aec0" font-size={13}>
          no circuit nodes in {sublayer}
        </text>
      )}
    </svg>
  );
}

/** The endpoints of an edge key, for panels. */
export function edgeEnds(key: string): { src: string; dst: string } | undefined {
  const i = key.indexOf("->");
  if (i < 0) return undefined;
  const src = key.slice(0, i);
  const dst = key.slice(i + 2);
  return parseNodeKey(src) && parseNodeKey(dst) ? { src, dst } : undefined;
}
