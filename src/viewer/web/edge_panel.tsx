import type { CircuitEdge } from "../api_types.js";
import { fmtNum } from "./format.js";
import { edgeEnds } from "./graph.js";

export interface EdgePanelProps {
  /** The edge's key, `src->dst`. */
  edgeKey: string;
  /** The circuit's edge under that key, for its weight. */
  edge?: CircuitEdge;
  off: boolean;
  onToggle: () => void;
}

/** The selected edge: its ends, weight and a switch. */
export function EdgePanel({ edgeKey, edge, off, onToggle }: EdgePanelProps) {
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
        A switched-off edge passes its source's mean activation instead of the live one.
      </p>
    </section>
  );
}
