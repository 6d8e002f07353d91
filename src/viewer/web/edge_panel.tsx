import type { CircuitEdge } from "../api_types.js";
import { fmtNum } from "./format.js";
import { edgeEnds } from "./graph.js";

export interface EdgePanelProps {
  /** The edge's key, `src->dst`. */
  edgeKey: string;
  /** The circuit's edge under that key, for its weight. */
  edge?: CircuitEdge;
  off: boolean;
  /** The circuit's ablation: what a switched-off edge passes instead. */
  ablation?: string;
  onToggle: () => void;
}

/** The selected edge: its ends, weight and a switch. */
export function EdgePanel({ edgeKey, edge, off, ablation, onToggle }: EdgePanelProps) {
  return (
    <section class="card" data-edge-panel={edgeKey}>
      <header class="card-head">
        <div>
          <div class="eyebrow">edge</div>
          <h3 class="mono small-h">
            {edgeEnds(edgeKey)?.src} → {edgeEnds(edgeKey)?.dst}
          </h3>
        </div>
        <button class={`toggle ${off ? "on" : "off"}`} onClick={onToggle}>
          {off ? "Switch on" : "Switch off"}
        </button>
      </header>
      <div class="stats">
        <div>
          <span class="label">weight</span>
          <span class="value">{fmtNum(edge?.weight)}</span>
        </div>
        <div>
          <span class="label">state</span>
          <span class="value">{off ? "switched off" : "in circuit"}</span>
        </div>
      </div>
      <p class="muted small pad">
        {ablation === "zero"
          ? "A switched-off edge passes nothing (zero ablation): its weight is set to 0."
          : "A switched-off edge passes its source's mean activation instead of the live one (its weight is set to 0 and weight × mean is added to the target's bias)."}
      </p>
    </section>
  );
}
