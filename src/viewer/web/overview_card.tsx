import { useRef } from "preact/hooks";
import { baseName, downloadSvg } from "./downloads.js";
import { Overview } from "./overview.js";
import { useTools } from "./use_graph_tools.js";

export interface OverviewCardProps {
  /** The sublayer the layer graph shows, marked in the overview. */
  sublayer?: string;
  onOpen: (sublayer: string) => void;
}

/** The circuit across layers, with its legend and an SVG download. */
export function OverviewCard({ sublayer, onOpen }: OverviewCardProps) {
  const t = useTools();
  const circuit = t.circuit;
  const svgRef = useRef<SVGSVGElement>(null);
  return (
    <section class="card">
      <header class="card-head">
        <div>
          <div class="eyebrow">overview</div>
          <h3>Circuit across layers</h3>
        </div>
        <div class="legend-inline small">
          <span>
            <i class="sw" style={{ background: "#2f855a" }} /> reads
          </span>
          <span>
            <i class="sw" style={{ background: "#c05621" }} /> writes
          </span>
          <span>
            <i class="ln" /> residual channel
          </span>
          <button
            class="ghost"
            onClick={() => downloadSvg(`${baseName(circuit.file)}-overview.svg`, svgRef.current)}
          >
            SVG
          </button>
        </div>
      </header>
      <div class="scroll">
        <Overview
          circuit={circuit}
          model={t.model}
          disabledNodes={t.disabledNodes}
          current={sublayer}
          selectedNode={t.selectedNode}
          path={t.path}
          onOpen={onOpen}
          onSelect={t.selectNode}
          svgRef={svgRef}
        />
      </div>
    </section>
  );
}
