import type { CircuitView, CurvePoint } from "../api_types.js";
import { LossSizeChart, type Series } from "./chart.js";
import { fmtLoss } from "./format.js";

/** Colours of the circuit-file series, one per task (the search log keeps violet). */
const PALETTE = ["#dd6b20", "#3182ce", "#38a169", "#d53f8c", "#805ad5", "#718096", "#b7791f", "#319795"];
const SEARCH_COLOUR = "#553c9a";

/**
 * The circuit files' points, one series per task (and control): a line never joins points of different
 * tasks. Sorted by name so colours are stable.
 */
export function fileSeries(points: readonly CurvePoint[]): Series[] {
  const bySeries = new Map<string, CurvePoint[]>();
  for (const p of points) {
    const k = p.series ?? "circuit files";
    if (!bySeries.has(k)) bySeries.set(k, []);
    bySeries.get(k)!.push(p);
  }
  return [...bySeries]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, pts], i) => ({
      name: `circuit files: ${name}`,
      colour: PALETTE[i % PALETTE.length],
      points: [...pts].sort((a, b) => a.nodes - b.nodes),
    }));
}

/**
 * Uncalibrated task loss against circuit size: this circuit's bisection log and one series per task of
 * the circuit files given. Calibrated losses are not plotted (they would not compare with the search's).
 */
export function SweepCard({ circuit }: { circuit: CircuitView }) {
  const files = fileSeries(circuit.sweepCurve);
  const series: Series[] = [
    {
      name: `this circuit's search (${circuit.taskName})`,
      colour: SEARCH_COLOUR,
      points: circuit.searchCurve,
    },
    ...files,
  ];
  return (
    <section class="card">
      <header class="card-head">
        <div>
          <div class="eyebrow">loss versus circuit size · uncalibrated</div>
          <h3>{circuit.searchCurve.length > 0 ? "Bisection log and circuit files" : "Circuit files"}</h3>
        </div>
      </header>
      <div class="pad">
        <LossSizeChart
          series={series}
          yLabel="task loss, uncalibrated (per sequence)"
          lines={[
            {
              y: circuit.targetLoss,
              label: `target of this circuit ${fmtLoss(circuit.targetLoss)}`,
              dash: "6 4",
            },
            {
              y: circuit.lossFull,
              label: `full model (${circuit.taskName}) ${fmtLoss(circuit.lossFull)}`,
              dash: "2 3",
            },
          ]}
        />
        <p class="muted small" data-testid="sweep-legend">
          x: circuit size (nodes kept); y: uncalibrated task loss per sequence on the {circuit.evalSplit}{" "}
          evaluation pairs, as csp prune measured it (calibrated losses are not plotted). Lines join points of
          one series only.
        </p>
        <ul class="legend small">
          {series.map((s) => (
            <li key={s.name} data-series={s.name}>
              <span style={{ color: s.colour }}>●</span> {s.name} ({s.points.length} point
              {s.points.length === 1 ? "" : "s"})
            </li>
          ))}
        </ul>
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
