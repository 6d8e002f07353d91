/**
 * Standalone exports of the layer graph: what is drawn (threshold and hidden nodes applied), or only the
 * pinned nodes (a subgraph, SVG and JSON). Exported SVGs carry a title (task, circuit, size) and a legend,
 * node labels, and no selection ring.
 */
import { render, type ComponentChildren } from "preact";
import type { CircuitEdge } from "../api_types.js";
import { FINAL_RESID, parseNodeKey, sublayerOf } from "../node_locations.js";
import { download } from "./api.js";
import { residualReaders } from "./circuit_paths.js";
import { NEGATIVE, POSITIVE } from "./colour.js";
import { baseName, downloadSvg } from "./downloads.js";
import { fmtLoss } from "./format.js";
import { layoutSublayer, type GraphLayout } from "./graph_layout.js";
import type { EdgeLook } from "./graph_style.js";
import { GraphBody } from "./graph_svg.js";
import { visibleGraph } from "./graph.js";
import { sublayers } from "./sublayer_summary.js";
import type { GraphTools } from "./use_graph_tools.js";

const HEADER = 58;
const LEGEND = 44;
const PANEL_TITLE = 24;

interface Panel {
  layout: GraphLayout;
  edges: CircuitEdge[];
}

function Legend({ y, maxDelta }: { y: number; maxDelta: number }) {
  return (
    <g class="legend" transform={`translate(16,${y})`} font-size={11} fill="#4a5568">
      <defs>
        <linearGradient id="csp-delta" x1="0" x2="1" y1="0" y2="0">
          <stop offset="0" stop-color="#ffffff" />
          <stop offset="1" stop-color="rgb(88,51,168)" />
        </linearGradient>
      </defs>
      <line x1={0} x2={24} y1={10} y2={10} stroke={POSITIVE} stroke-width={3} />
      <text x={30} y={14}>
        positive weight
      </text>
      <line x1={130} x2={154} y1={10} y2={10} stroke={NEGATIVE} stroke-width={3} />
      <text x={160} y={14}>
        negative weight (width, opacity: |w|)
      </text>
      <rect x={390} y={3} width={60} height={14} fill="url(#csp-delta)" stroke="#2d3748" stroke-width={0.5} />
      <text x={456} y={14}>
        node fill: ablation Δ loss 0 … {fmtLoss(maxDelta)}
      </text>
      <line x1={0} x2={24} y1={30} y2={30} stroke="#a0aec0" stroke-dasharray="4 3" stroke-width={2} />
      <text x={30} y={34}>
        switched off
      </text>
    </g>
  );
}

/** Panels stacked under a title, with a legend at the bottom, as one SVG element. */
function ExportSvg({ t, title, panels }: { t: GraphTools; title: string; panels: Panel[] }) {
  const width = Math.max(720, ...panels.map((p) => p.layout.width));
  const tops: number[] = [];
  let y = HEADER;
  for (const p of panels) {
    tops.push(y);
    y += PANEL_TITLE + p.layout.height;
  }
  const look: EdgeLook = { maxW: t.maxW, disabledNodes: t.disabledNodes, disabledEdges: t.disabledEdges };
  const parts: ComponentChildren[] = panels.map((p, i) => (
    <g key={p.layout.sublayer} transform={`translate(0,${tops[i]})`}>
      <text x={12} y={16} font-size={13} font-weight={700} fill="#1a202c">
        {p.layout.sublayer}
      </text>
      <g transform={`translate(0,${PANEL_TITLE})`}>
        <GraphBody
          layout={p.layout}
          edges={p.edges}
          look={look}
          deltas={t.deltas}
          maxDelta={t.maxDelta}
          notes={t.notes}
        />
      </g>
    </g>
  ));
  const height = y + LEGEND;
  return (
    <svg
      xmlns="http://www.w3.org/2000/svg"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      font-family="Inter, system-ui, sans-serif"
    >
      <title>{title}</title>
      <rect x={0} y={0} width={width} height={height} fill="#ffffff" />
      <text class="export-title" x={12} y={24} font-size={16} font-weight={700} fill="#1a202c">
        {title}
      </text>
      <text x={12} y={44} font-size={11} fill="#718096">
        {`${t.circuit.ablation} ablation · target loss ${fmtLoss(t.circuit.targetLoss)} · ${t.circuit.nodeCount} circuit nodes of ${t.circuit.modelNodes}`}
      </text>
      {parts}
      <Legend y={y + 4} maxDelta={t.maxDelta} />
    </svg>
  );
}

function saveSvg(name: string, t: GraphTools, title: string, panels: Panel[]): void {
  const holder = document.createElement("div");
  render(<ExportSvg t={t} title={title} panels={panels} />, holder);
  downloadSvg(name, holder.querySelector("svg"));
  render(null, holder);
}

const size = (panels: Panel[]) => {
  const nodes = panels.reduce((s, p) => s + p.layout.placed.length, 0);
  const edges = panels.reduce((s, p) => s + p.edges.length, 0);
  return `${nodes} node${nodes === 1 ? "" : "s"}, ${edges} edge${edges === 1 ? "" : "s"}`;
};

/** The layer graph as drawn (threshold, hidden nodes and "pinned only" applied). */
export function exportLayerSvg(t: GraphTools, sublayer: string): void {
  const panel = visibleGraph(t, sublayer);
  const file = baseName(t.circuit.file);
  saveSvg(`${file}-${sublayer}.svg`, t, `${t.circuit.taskName} · ${file} · ${sublayer} · ${size([panel])}`, [
    panel,
  ]);
}

/** The sublayers holding pinned nodes, each with only its pinned nodes and the edges between them. */
function pinnedPanels(t: GraphTools): Panel[] {
  const subs = [...sublayers(t.model), FINAL_RESID];
  const keep = (key: string) => t.pinned.has(key);
  return subs
    .filter((s) =>
      [...t.pinned].some((k) => {
        const loc = parseNodeKey(k)?.loc ?? "";
        return s === FINAL_RESID ? loc === FINAL_RESID : sublayerOf(loc) === s;
      }),
    )
    .map((s) => {
      const layout = layoutSublayer(t.circuit, s, t.model, keep);
      const edges = t.circuit.edges
        .filter((e) => keep(e.src) && keep(e.dst) && layout.pos.has(e.src))
        .sort((a, b) => Math.abs(a.weight) - Math.abs(b.weight));
      return { layout, edges };
    });
}

/** The pinned nodes only, as SVG. */
export function exportPinnedSvg(t: GraphTools): void {
  const panels = pinnedPanels(t);
  const file = baseName(t.circuit.file);
  saveSvg(
    `${file}-pinned.svg`,
    t,
    `${t.circuit.taskName} · ${file} · pinned subgraph · ${size(panels)}`,
    panels,
  );
}

/**
 * The pinned nodes only, as JSON (docs/viewer.md, "Graph tools"): the nodes, the edges and residual links
 * between them, their Δ, labels and notes, and which of them are switched off.
 */
export function exportPinnedJson(t: GraphTools): void {
  const keys = [...t.pinned].filter((k) => {
    const p = parseNodeKey(k);
    return p !== undefined && (t.circuit.nodes[p.loc] ?? []).includes(p.index);
  });
  const nodes: Record<string, number[]> = {};
  for (const k of keys) {
    const p = parseNodeKey(k)!;
    (nodes[p.loc] ??= []).push(p.index);
  }
  for (const list of Object.values(nodes)) list.sort((a, b) => a - b);
  const pinned = new Set(keys);
  const json = {
    kind: "csp-subgraph",
    circuit: t.circuit.file,
    task: t.circuit.taskName,
    nodes,
    num_nodes: keys.length,
    edges: t.circuit.edges.filter((e) => pinned.has(e.src) && pinned.has(e.dst)),
    residual_links: keys.flatMap((k) =>
      residualReaders(t.circuit, t.model, k)
        .filter((r) => pinned.has(r))
        .map((dst) => ({ src: k, dst })),
    ),
    node_deltas: Object.fromEntries(keys.filter((k) => t.deltas.has(k)).map((k) => [k, t.deltas.get(k)])),
    notes: Object.fromEntries(keys.filter((k) => t.notes[k]).map((k) => [k, t.notes[k]])),
    disabled_nodes: keys.filter((k) => t.disabledNodes.has(k)),
  };
  download(
    `${baseName(t.circuit.file)}-pinned.json`,
    JSON.stringify(json, null, 2) + "\n",
    "application/json",
  );
}
