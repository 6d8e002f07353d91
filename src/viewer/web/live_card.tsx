import type { CircuitView, EvaluateResponse } from "../api_types.js";
import { fmtLoss } from "./format.js";

export interface LiveCardProps {
  circuit: CircuitView;
  evaluation?: EvaluateResponse;
  error?: string;
  evaluating: boolean;
  /** Nodes and edges switched off. */
  edits: number;
  onReset: () => void;
  onExport: () => void;
}

/** The task loss of the circuit as edited, recomputed by the server on every edit. */
export function LiveCard({
  circuit,
  evaluation: r,
  error,
  evaluating,
  edits,
  onReset,
  onExport,
}: LiveCardProps) {
  const live = r?.lossCalibrated;
  const target = circuit.targetLoss;
  const bad = live !== undefined && live >= 0.5;
  return (
    <section class={`card live${evaluating ? " busy" : ""}`} data-testid="live-card">
      <header class="card-head">
        <div>
          <div class="eyebrow">live task loss (calibrated)</div>
          <div class={`big${bad ? " bad" : ""}`} data-testid="live-loss" data-loss={live}>
            {fmtLoss(live)}
          </div>
        </div>
        <div class="right small">
          {evaluating ? <span class="spinner" /> : r && <span class="muted">{r.millis.toFixed(0)} ms</span>}
        </div>
      </header>
      {error && <div class="error">{error}</div>}
      <table class="losses">
        <thead>
          <tr>
            <th />
            <th>live</th>
            <th>file</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td>circuit, calibrated</td>
            <td data-testid="live-calibrated">{fmtLoss(r?.lossCalibrated)}</td>
            <td>{fmtLoss(circuit.lossCalibrated)}</td>
          </tr>
          <tr>
            <td>circuit, uncalibrated</td>
            <td data-testid="live-raw">{fmtLoss(r?.lossCircuit)}</td>
            <td>{fmtLoss(circuit.lossCircuit)}</td>
          </tr>
          <tr>
            <td>full model</td>
            <td>{fmtLoss(r?.lossFull)}</td>
            <td>{fmtLoss(circuit.lossFull)}</td>
          </tr>
          <tr>
            <td>nothing kept</td>
            <td />
            <td>{fmtLoss(circuit.lossEmpty)}</td>
          </tr>
          <tr>
            <td>target</td>
            <td />
            <td>{fmtLoss(target)}</td>
          </tr>
          <tr>
            <td>nodes · edges</td>
            <td>{r ? `${r.nodes} · ${r.edges}` : "–"}</td>
            <td>{`${circuit.nodeCount} · ${circuit.edges.length}`}</td>
          </tr>
        </tbody>
      </table>
      <p class="small muted pad-x">
        {circuit.ablation} ablation · {r ? r.sequences : 2 * circuit.evalPairs} sequences of the{" "}
        {circuit.evalSplit} split
      </p>
      <div class="actions">
        <span class="small muted" data-testid="edit-count">
          {edits === 0 ? "no edits" : `${edits} edit${edits === 1 ? "" : "s"}`}
        </span>
        <button class="ghost" disabled={edits === 0} onClick={onReset}>
          Reset
        </button>
        <button class="primary" data-action="export-json" onClick={onExport}>
          Export JSON
        </button>
      </div>
    </section>
  );
}
