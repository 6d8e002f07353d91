import type { Ref } from "preact";
import type { CircuitEdge, NodeNote } from "../api_types.js";
import { edgeKey } from "../node_locations.js";
import { effectFill, effectText } from "./colour.js";
import { fmtLoss, fmtNum } from "./format.js";
import { DY, LEFT, R, TOP, type GraphLayout } from "./graph_layout.js";
import { edgeStyle, shortLabel, type EdgeLook } from "./graph_style.js";

export interface GraphSvgProps {
  layout: GraphLayout;
  /** The edges to draw as SVG (weakest first); empty when a canvas draws them. */
  edges: readonly CircuitEdge[];
  look: EdgeLook;
  deltas: ReadonlyMap<string, number>;
  maxDelta: number;
  notes: Readonly<Record<string, NodeNote>>;
  /** Page only: the selection ring and pin marks. Exports draw neither. */
  selectedNode?: string;
  pinned?: ReadonlySet<string>;
  /** Nodes on the path view; when set, the others fade. */
  pathNodes?: ReadonlySet<string>;
  /** Page: transparent, so the canvas under it shows. Export: a white page. */
  background?: string;
  svgRef?: Ref<SVGSVGElement>;
}

/** One sublayer's graph as SVG: row guides, head boxes, edges, nodes with their labels. */
export function GraphSvg(p: GraphSvgProps) {
  const { layout } = p;
  const { width: w, height: h } = layout;
  return (
    <svg
      ref={p.svgRef}
      class="layer-graph"
      xmlns="http://www.w3.org/2000/svg"
      width={w}
      height={h}
      viewBox={`0 0 ${w} ${h}`}
      font-family="Inter, system-ui, sans-serif"
      data-sublayer={layout.sublayer}
    >
      <GraphBody {...p} />
    </svg>
  );
}

/** The graph's content, for the page's SVG and inside an export's frame. */
export function GraphBody(p: GraphSvgProps) {
  const { layout, look } = p;
  const { width: w, height: h } = layout;
  return (
    <g>
      {p.background && <rect x={0} y={0} width={w} height={h} fill={p.background} />}
      {layout.rows.map((row, ri) => (
        <g key={row.slot}>
          <line x1={LEFT - 8} x2={w - 16} y1={TOP + ri * DY} y2={TOP + ri * DY} stroke="#eef0f3" />
          <text x={12} y={TOP + ri * DY + 4} font-size={12} fill="#4a5568" font-weight={600}>
            {row.slot}
          </text>
          <text x={12} y={TOP + ri * DY + 18} font-size={10} fill="#a0aec0">
            {row.cols.filter((c) => c !== undefined).length === row.count
              ? `${row.count} nodes`
              : `${row.cols.filter((c) => c !== undefined).length} of ${row.count}`}
          </text>
        </g>
      ))}
      {layout.heads.map((hd) => (
        <g key={hd.head}>
          <rect
            x={hd.x}
            y={TOP + DY - 26}
            width={hd.width}
            height={2 * DY + 44}
            rx={8}
            fill="#f5f3ff"
            stroke="#ddd6fe"
          />
          <text
            x={hd.x + hd.width / 2}
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
      {p.edges.map((e) => {
        const a = layout.pos.get(e.src)!;
        const b = layout.pos.get(e.dst)!;
        const s = edgeStyle(e, look);
        const k = edgeKey(e.src, e.dst);
        const midY = (a.y + b.y) / 2;
        const d = `M${a.x},${a.y + R} C${a.x},${midY} ${b.x},${midY} ${b.x},${b.y - R}`;
        return (
          <g key={k} class="edge" data-edge={k}>
            <path d={d} stroke="transparent" stroke-width={9} fill="none" />
            <path
              d={d}
              fill="none"
              stroke={s.stroke}
              stroke-width={s.width}
              stroke-opacity={s.opacity}
              stroke-dasharray={s.dash}
            >
              <title>{`${e.src} → ${e.dst}  weight ${fmtNum(e.weight)}`}</title>
            </path>
          </g>
        );
      })}
      {layout.placed.map((n) => {
        const delta = p.deltas.get(n.key);
        const off = look.disabledNodes.has(n.key);
        const selected = p.selectedNode === n.key;
        const faded = p.pathNodes !== undefined && !p.pathNodes.has(n.key);
        const label = p.notes[n.key]?.label;
        return (
          <g
            key={n.key}
            class={`node${off ? " off" : ""}${selected ? " selected" : ""}${p.pinned?.has(n.key) ? " pinned" : ""}`}
            data-node={n.key}
            transform={`translate(${n.x},${n.y})`}
            cursor="pointer"
            opacity={faded ? 0.25 : undefined}
          >
            {selected && <circle class="ring" r={R + 5} fill="none" stroke="#dd6b20" stroke-width={2.5} />}
            <circle
              r={R}
              fill={off ? "#edf2f7" : effectFill(delta, p.maxDelta)}
              stroke={off ? "#a0aec0" : "#2d3748"}
              stroke-width={1.25}
              stroke-dasharray={off ? "3 2" : undefined}
            />
            <text
              y={3.5}
              font-size={n.index >= 1000 ? 8 : 9.5}
              text-anchor="middle"
              fill={off ? "#a0aec0" : effectText(delta, p.maxDelta)}
              pointer-events="none"
            >
              {n.index}
            </text>
            {p.pinned?.has(n.key) && <circle class="pin" cx={R - 2} cy={-R + 2} r={3.5} fill="#6b46c1" />}
            {label && (
              <text class="label" y={R + 11} font-size={9} text-anchor="middle" fill="#2d3748">
                {shortLabel(label)}
              </text>
            )}
            <title>{`${n.title}${label ? ` “${label}”` : ""}\nablation Δ loss ${fmtLoss(delta)}`}</title>
          </g>
        );
      })}
      {layout.placed.length === 0 && (
        <text x={w / 2} y={h / 2} text-anchor="middle" fill="#a0aec0" font-size={13}>
          no nodes shown in {layout.sublayer}
        </text>
      )}
    </g>
  );
}
