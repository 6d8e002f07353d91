import type { CircuitView } from "../api_types.js";
import { LossSizeChart } from "./chart.js";
import { fmtLoss } from "./format.js";

/** Task loss against circuit size: this circuit's bisection log and the circuit files given. */
export function SweepCard({ circuit }: { circuit: CircuitView }) {
  return (
    <section class="card">
      <header class="card-head">
        <div>
          <div class="eyebrow">loss versus circuit size</div>
          <h3>{circuit.searchCurve.length > 0 ? "Bisection log and sweep" : "Sweep"}</h3>
        </div>
      </header>
      <div class="pad">
        <LossSizeChart
          series={[
            { name: "this circuit's search", colour: "#805ad5", points: circuit.searchCurve },
            { name: "circuit files", colour: "#dd6b20", points: circuit.sweepCurve },
          ]}
          lines={[
            { y: circuit.targetLoss, label: `target ${fmtLoss(circuit.targetLoss)}`, dash: "6 4" },
            { y: circuit.lossFull, label: `full model ${fmtLoss(circuit.lossFull)}`, dash: "2 3" },
          ]}
        />
        <p class="muted small">
          <span style={{ color: "#805ad5" }}>●</span> bisection evaluations of this circuit's search
          (uncalibrated) · <span style={{ color: "#dd6b20" }}>●</span> one point per circuit file given on the
          command line (calibrated)
        </p>
        {circuit.pruneConfig !== undefined && (
          <details>
            <summary>prune_config</summary>
            <pre class="mono">{JSON.stringify(circuit.pruneConfig, null, 2)}</pre>
          </details>
        )}
      </div>
    </section>
  );
}
