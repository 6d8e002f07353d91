import { FINAL_RESID } from "../node_locations.js";
import { fmtLoss } from "./format.js";
import { exportLayerSvg } from "./graph_export.js";
import { LayerGraph } from "./graph.js";
import { GraphToolbar } from "./graph_toolbar.js";
import { sublayerDelta, sublayerNodeCount } from "./sublayer_summary.js";
import { useTools } from "./use_graph_tools.js";

export interface LayerGraphCardProps {
  /** The model's sublayers, one pill each (final_resid gets one more). */
  subs: string[];
  sublayer?: string;
  onSublayer: (sublayer: string) => void;
}

/** One sublayer's circuit nodes and edges, the pills that pick the sublayer, the graph tools and exports. */
export function LayerGraphCard({ subs, sublayer, onSublayer }: LayerGraphCardProps) {
  const t = useTools();
  const circuit = t.circuit;
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
            disabled={!sublayer}
            onClick={() => sublayer && exportLayerSvg(t, sublayer)}
          >
            Export SVG
          </button>
        </div>
      </header>
      <div class="sublayer-pills">
        {[...subs, FINAL_RESID].map((s) => {
          const n =
            s === FINAL_RESID ? (circuit.nodes[FINAL_RESID] ?? []).length : sublayerNodeCount(circuit, s);
          const d = s === FINAL_RESID ? undefined : sublayerDelta(circuit, s);
          return (
            <button
              key={s}
              class={`pill${s === sublayer ? " active" : ""}${n === 0 ? " empty" : ""}`}
              data-sublayer={s}
              onClick={() => onSublayer(s)}
            >
              {s === FINAL_RESID ? "final" : s}
              <span class="n">{n}</span>
              {d !== undefined && <span class="d">Δ {fmtLoss(d)}</span>}
            </button>
          );
        })}
      </div>
      <GraphToolbar tools={t} />
      {sublayer && <LayerGraph tools={t} sublayer={sublayer} />}
    </section>
  );
}
