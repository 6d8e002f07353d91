import { useEffect, useState } from "preact/hooks";
import type { MetricsView as Metrics } from "../api_types.js";
import { api } from "./api.js";
import { fmtNum } from "./format.js";
import { LineChart } from "./line_chart.js";

/**
 * The model's training curves from its metrics.jsonl (the reference viewer's "final metrics" and
 * training curves): loss and validation loss, learning rate and the kept fraction of the sparsified
 * weights, against the step; and the last record's numbers.
 */
export function MetricsView() {
  const [data, setData] = useState<Metrics>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    api<Metrics>("metrics").then(setData, (e: Error) => setError(e.message));
  }, []);
  return (
    <section class="card metrics">
      <header class="card-head">
        <div>
          <div class="eyebrow">model</div>
          <h3>Training metrics</h3>
        </div>
        {data && <span class="muted small mono">{data.file}</span>}
      </header>
      {error && <div class="error">{error}</div>}
      {data?.note && (
        <p class="notice pad-x" data-testid="metrics-note">
          {data.note}
        </p>
      )}
      {data && data.points.length > 0 && (
        <>
          <div class="chart-grid">
            <LineChart
              id="loss"
              title="loss"
              xLabel="step"
              yLabel="loss (nats/token)"
              series={[
                {
                  name: "train",
                  colour: "#3182ce",
                  points: data.points.map((p) => ({ x: p.step, y: p.loss })),
                },
                {
                  name: "val",
                  colour: "#dd6b20",
                  points: data.points
                    .filter((p) => p.valLoss !== undefined)
                    .map((p) => ({ x: p.step, y: p.valLoss! })),
                },
              ]}
            />
            <LineChart
              id="lr"
              title="learning rate"
              xLabel="step"
              yLabel="lr"
              series={[
                { name: "lr", colour: "#2f855a", points: data.points.map((p) => ({ x: p.step, y: p.lr })) },
              ]}
            />
            <LineChart
              id="kept"
              title="kept fraction of the sparsified weights (L0 / size)"
              xLabel="step"
              yLabel="nonzero fraction"
              logY
              series={[
                {
                  name: "kept",
                  colour: "#6b46c1",
                  points: data.points.map((p) => ({ x: p.step, y: p.kept })),
                },
              ]}
            />
          </div>
          {data.last && (
            <table class="losses final-metrics pad-x">
              <caption class="muted small">last record</caption>
              <tbody>
                {Object.entries(data.last).map(([k, v]) => (
                  <tr key={k}>
                    <td>{k}</td>
                    <td class="num">{v === null ? "null" : fmtNum(v, 5)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
