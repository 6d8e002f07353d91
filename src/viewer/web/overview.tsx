import type { Ref } from "preact";
import type { CircuitView, ModelInfo } from "../api_types.js";
import { FINAL_RESID, nodeKey } from "../node_locations.js";
import { residualKey, type CircuitPath } from "./circuit_paths.js";
import { fmtLoss } from "./format.js";
import { sublayerDelta, sublayerNodeCount, sublayers } from "./sublayer_summary.js";

const LEFT = 62;
const HEAD = 92;

export interface OverviewProps {
  circuit: CircuitView;
  model: ModelInfo;
  disabledNodes: ReadonlySet<string>;
  current?: string;
  /** The selected node, ringed. */
  selectedNode?: string;
  /** The path view: its residual links and nodes are highlighted, the rest fades. */
  path?: CircuitPath;
  onOpen: (sublayer: string) => void;
  /** A dot selects its node (act_in / final_resid reads, resid_delta writes). */
  onSelect: (key: string) => void;
  svgRef?: Ref<SVGSVGElement>;
}

/**
 * The circuit across layers: one column per sublayer with its node count and ablation effect, and the
 * residual channels it reads (act_in, left dots) and writes (resid_delta, right dots), linked from each
 * write to every later read of the same channel.
 */
export function Overview(p: OverviewProps) {
  const { circuit, model, disabledNodes, current, onOpen, onSelect, svgRef, path, selectedNode } = p;
  const subs = [...sublayers(model), FINAL_RESID];
  const COLW = Math.max(110, Math.min(180, 900 / subs.length));
  const reads = (s: string) =>
    s === FINAL_RESID ? (circuit.nodes[FINAL_RESID] ?? []) : (circuit.nodes[`${s}.act_in`] ?? []);
  const writes = (s: string) => (s === FINAL_RESID ? [] : (circuit.nodes[`${s}.resid_delta`] ?? []));
  const readLoc = (s: string) => (s === FINAL_RESID ? FINAL_RESID : `${s}.act_in`);
  const readSets = new Map(subs.map((s) => [s, new Set(reads(s))]));
  const channels = new Set<number>();
  for (const s of subs) for (const c of [...reads(s), ...writes(s)]) if (c < model.dModel) channels.add(c);
  const sorted = [...channels].sort((a, b) => a - b);
  const dy = sorted.length > 0 ? Math.max(6, Math.min(20, 360 / sorted.length)) : 20;
  const yOf = new Map(sorted.map((c, i) => [c, HEAD + 34 + i * dy]));
  const w = LEFT + subs.length * COLW + 10;
  const h = HEAD + 34 + Math.max(1, sorted.length) * dy + 24;
  const xOf = (i: number) => LEFT + i * COLW + COLW / 2;
  const maxDelta = Math.max(1e-9, ...subs.map((s) => sublayerDelta(circuit, s) ?? 0));
  const links: {
    x1: number;
    x2: number;
    y: number;
    span: number;
    key: string;
    off: boolean;
    onPath: boolean;
  }[] = [];
  subs.forEach((s, i) => {
    for (const c of writes(s)) {
      if (!yOf.has(c)) continue;
      for (let j = i + 1; j < subs.length; j++)
        if (readSets.get(subs[j])!.has(c))
          links.push({
            onPath:
              path?.links.has(residualKey(nodeKey(`${s}.resid_delta`, c), nodeKey(readLoc(subs[j]), c))) ??
              false,
            x1: xOf(i) + 16,
            x2: xOf(j) - 16,
            y: yOf.get(c)!,
            span: j - i,
            key: `${s}:${c}:${subs[j]}`,
            off:
              disabledNodes.has(nodeKey(`${s}.resid_delta`, c)) ||
              disabledNodes.has(nodeKey(readLoc(subs[j]), c)),
          });
    }
  });
  const dotState = { disabledNodes, path, selectedNode, onSelect };
  return (
    <svg
      ref={svgRef}
      class="overview"
      xmlns="http://www.w3.org/2000/svg"
      width={w}
      height={h}
      viewBox={`0 0 ${w} ${h}`}
      style={{ maxWidth: "100%", height: "auto" }}
      font-family="Inter, system-ui, sans-serif"
    >
      <rect x={0} y={0} width={w} height={h} fill="#ffffff" />
      <text x={10} y={HEAD + 22} font-size={10} fill="#718096">
        channel
      </text>
      {sorted.map((c) => (
        <text key={c} x={LEFT - 8} y={yOf.get(c)! + 3} font-size={9} fill="#a0aec0" text-anchor="end">
          {c}
        </text>
      ))}
      {subs.map((s, i) => {
        const x = xOf(i);
        const count = s === FINAL_RESID ? reads(s).length : sublayerNodeCount(circuit, s);
        const delta = s === FINAL_RESID ? undefined : sublayerDelta(circuit, s);
        const active = current === s;
        const t = delta !== undefined ? Math.max(0, delta) / maxDelta : 0;
        return (
          <g key={s} class="overview-col" data-sublayer={s} cursor="pointer" onClick={() => onOpen(s)}>
            <rect
              x={x - COLW / 2 + 6}
              y={8}
              width={COLW - 12}
              height={h - 16}
              rx={10}
              fill={active ? "#fffaf0" : "#f7fafc"}
              stroke={active ? "#dd6b20" : "#e2e8f0"}
              stroke-width={active ? 2 : 1}
            />
            <text x={x} y={30} text-anchor="middle" font-size={13} font-weight={700} fill="#1a202c">
              {s === FINAL_RESID ? "final" : s}
            </text>
            <text x={x} y={48} text-anchor="middle" font-size={11} fill="#4a5568">
              {count} node{count === 1 ? "" : "s"}
            </text>
            {delta !== undefined && (
              <g>
                <rect x={x - 36} y={58} width={72} height={6} rx={3} fill="#e2e8f0" />
                <rect x={x - 36} y={58} width={72 * t} height={6} rx={3} fill="#6b46c1" />
                <text x={x} y={80} text-anchor="middle" font-size={10} fill="#6b46c1">
                  Δ {fmtLoss(delta)}
                </text>
              </g>
            )}
          </g>
        );
      })}
      {links.map((l) => {
        const bulge = Math.min(dy * 0.9, 4 + 2 * l.span);
        return (
          <path
            key={l.key}
            d={`M${l.x1},${l.y} C${l.x1 + 30},${l.y - bulge} ${l.x2 - 30},${l.y - bulge} ${l.x2},${l.y}`}
            fill="none"
            stroke={l.off ? "#cbd5e0" : l.onPath ? "#dd6b20" : "#3182ce"}
            stroke-opacity={path && !l.onPath ? 0.12 : l.off ? 0.6 : l.onPath ? 0.9 : 0.45}
            stroke-width={l.onPath ? 2.6 : 1.8}
            stroke-dasharray={l.off ? "3 3" : undefined}
            pointer-events="none"
          />
        );
      })}
      {subs.map((s, i) => {
        const x = xOf(i);
        return (
          <g key={`dots-${s}`}>
            {reads(s)
              .filter((c) => yOf.has(c))
              .map((c) => (
                <Dot
                  key={`r${c}`}
                  nodeKey={nodeKey(readLoc(s), c)}
                  x={x - 16}
                  y={yOf.get(c)!}
                  colour="#2f855a"
                  title={`${readLoc(s)}[${c}] (reads residual channel ${c})`}
                  {...dotState}
                />
              ))}
            {writes(s)
              .filter((c) => yOf.has(c))
              .map((c) => (
                <Dot
                  key={`w${c}`}
                  nodeKey={nodeKey(`${s}.resid_delta`, c)}
                  x={x + 16}
                  y={yOf.get(c)!}
                  colour="#c05621"
                  title={`${s}.resid_delta[${c}] (writes residual channel ${c})`}
                  {...dotState}
                />
              ))}
          </g>
        );
      })}
    </svg>
  );
}

interface DotProps {
  nodeKey: string;
  x: number;
  y: number;
  colour: string;
  title: string;
  disabledNodes: ReadonlySet<string>;
  path?: CircuitPath;
  selectedNode?: string;
  onSelect: (key: string) => void;
}

/** One residual read or write; clicking it selects that node (and not only its column). */
function Dot(p: DotProps) {
  const off = p.disabledNodes.has(p.nodeKey);
  const selected = p.selectedNode === p.nodeKey;
  const onPath = p.path?.nodes.has(p.nodeKey) ?? false;
  return (
    <g
      class="overview-dot"
      data-node={p.nodeKey}
      cursor="pointer"
      onClick={(e) => {
        e.stopPropagation();
        p.onSelect(p.nodeKey);
      }}
    >
      <circle cx={p.x} cy={p.y} r={8} fill="transparent" />
      {selected && <circle cx={p.x} cy={p.y} r={7} fill="none" stroke="#dd6b20" stroke-width={2} />}
      <circle
        cx={p.x}
        cy={p.y}
        r={onPath ? 5 : 4}
        fill={off ? "#cbd5e0" : p.colour}
        opacity={p.path && !onPath ? 0.3 : 1}
        stroke={onPath ? "#dd6b20" : undefined}
        stroke-width={onPath ? 1.5 : undefined}
      />
      <title>{p.title}</title>
    </g>
  );
}
