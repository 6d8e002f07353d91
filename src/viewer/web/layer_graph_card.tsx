import { useRef } from "preact/hooks";
import type { CircuitView, ModelInfo } from "../api_types.js";
import { baseName, downloadSvg } from "./downloads.js";
import { fmtLoss } from "./format.js";
import { LayerGraph } from "./graph.js";
import { sublayerDelta, sublayerNodeCount } from "./sublayer_summary.js";

export interface LayerGraphCardProps {
  circuit: CircuitView;
  model: ModelInfo;
  /** The model's sublayers, one pill each. */
  subs: string[];
  sublayer?: string;
  disabledNodes: ReadonlySet<string>;
  disabledEdges: ReadonlySet<string>;
  selectedNode?: string;
  selectedEdge?: string;
  onSublayer: (sublayer: string) => void;
  onNode: (key: string) => void;
  onEdge: (key: string) => void;
}

/** One sublayer's circuit nodes and edges, the pills that pick the sublayer, and an SVG export. */
export function LayerGraphCard({
  circuit,
  model,
  subs,
  sublayer,
  disabledNodes,
  disabledEdges,
  selectedNode,
  selectedEdge,
  onSublayer,
  onNode,
  onEdge,
}: LayerGraphCardProps) {
  const svgRef = useRef<SVGSVGElement>(null);
  return (
    <section class="card">
      <header class="card-head">
        <div>
          <div class="eyebrow">layer graph</div>
          <h3>{sublayer}</h3>
        </div>
        <div class="legend-inline small">
          <span>
            <i class="ln pos" /> positive weight
          </span>
          <span>
            <i class="ln neg" /> negative weight
          </span>
          <span>
            <i class="sw grad" /> ablation Δ loss
          </span>
          <button
            class="ghost"
            data-action="export-svg"
            onClick={() => downloadSvg(`${baseName(circuit.file)}-${sublayer}.svg`, svgRef.current)}
          >
            Export SVG
          </button>
        </div>
      </header>
      <div class="sublayer-pills">
        {subs.map((s) => {
          const n = sublayerNodeCount(circuit, s);
          const d = sublayerDelta(circuit, s);
          return (
            <button
              key={s}
              class={`pill${s === sublayer ? " active" : ""}${n === 0 ? " empty" : ""}`}
              data-sublayer={s}
              onClick={() => onSublayer(s)}
            >
              {s}
              <span class="n">{n}</span>
              {d !== undefined && <span class="d">Δ {fmtLoss(d)}</span>}
            </button>
          );
        })}
      </div>
      <div class="scroll">
        {sublayer && (
          <LayerGraph
            circuit={circuit}
            sublayer={sublayer}
            model={model}
            state={{ disabledNodes, disabledEdges, selectedNode, selectedEdge }}
            onNode={onNode}
            onEdge={onEdge}
            svgRef={svgRef}
          />
        )}
      </div>
    </section>
  );
}
