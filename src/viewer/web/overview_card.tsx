import { useRef } from "preact/hooks";
import type { CircuitView, ModelInfo } from "../api_types.js";
import { baseName, downloadSvg } from "./downloads.js";
import { Overview } from "./overview.js";

export interface OverviewCardProps {
  circuit: CircuitView;
  model: ModelInfo;
  disabledNodes: ReadonlySet<string>;
  /** The sublayer the layer graph shows, marked in the overview. */
  sublayer?: string;
  onOpen: (sublayer: string) => void;
}

/** The circuit across layers, with its legend and an SVG download. */
export function OverviewCard({ circuit, model, disabledNodes, sublayer, onOpen }: OverviewCardProps) {
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
          model={model}
          disabledNodes={disabledNodes}
          current={sublayer}
          onOpen={onOpen}
          svgRef={svgRef}
        />
      </div>
    </section>
  );
}
