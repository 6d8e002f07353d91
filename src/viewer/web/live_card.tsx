import type { CircuitView, EvaluateResponse } from "../api_types.js";
import { fmtLoss } from "./format.js";

export interface LiveCardProps {
  circuit: CircuitView;
  evaluation?: EvaluateResponse;
  error?: string;
  /** The numbers shown are not those of the current edits (the last evaluation failed or is running). */
  stale: boolean;
  evaluating: boolean;
  /** Nodes and edges switched off. */
  edits: number;
  onReset: () => void;
  onRetry: () => void;
  onExport: () => void;
}

/** "test split" or "train split (no test pairs)": which pairs a number is on. */
export function splitLabel(split: string): string {
  return split === "test" ? "test split" : `${split} split (the task has no test pairs)`;
}

/**
 * The headline: the uncalibrated task loss of the circuit as edited, on the task's test split, against
 * the target, with a reached / not-reached state; recomputed by the server on every edit. The calibrated
 * loss is secondary (its calibration was fitted on the train pairs).
 */
export function LiveCard(p: LiveCardProps) {
  const { circuit, evaluation: r, stale } = p;
  const h = circuit.headline;
  const loss = r?.lossCircuit;
  const reached = r?.reached;
  const state = reached === undefined ? "unknown" : reached ? "reached" : "not-reached";
  // An edit that takes a reached circuit over its target is the thing to notice.
  const broken = reached === false && h?.reached === true;
  const split = r?.split ?? h?.split;
  return (
    <section
      class={`card live${p.evaluating ? " busy" : ""}${stale ? " stale" : ""}`}
      data-testid="live-card"
      data-state={state}
      data-stale={String(stale)}
      data-circuit={circuit.id}
    >
      <header class="card-head">
        <div>
          <div class="eyebrow">
            task loss{split ? `, ${splitLabel(split)}` : ""} · uncalibrated
            {stale && r && <span class="stale-tag"> · stale</span>}
          </div>
          <div class={`big ${state}`} data-testid="live-loss" data-loss={loss}>
            {fmtLoss(loss)}
          </div>
          <div class={`reached-state ${state}`} data-testid="reached-state">
            {reached === undefined
              ? "–"
              : reached
                ? `REACHED · ≤ target ${fmtLoss(circuit.targetLoss)}`
                : `NOT REACHED · above target ${fmtLoss(circuit.targetLoss)}`}
            {broken && <span> (the edits broke it)</span>}
          </div>
        </div>
        <div class="right small">
          {p.evaluating ? (
            <span class="spinner" />
          ) : (
            r && !stale && <span class="muted">{r.millis.toFixed(0)} ms</span>
          )}
        </div>
      </header>
      {p.error && (
        <div class="error" data-testid="live-error">
          {p.error}
          {stale && r && " The numbers below are from before this change."}{" "}
          <button class="ghost" data-action="retry" onClick={p.onRetry}>
            Retry
          </button>
        </div>
      )}
      <table class="losses">
        <thead>
          <tr>
            <th />
            <th>live</th>
            <th>unedited</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td>circuit</td>
            <td data-testid="live-raw">{fmtLoss(r?.lossCircuit)}</td>
            <td>{fmtLoss(h?.lossCircuit)}</td>
          </tr>
          <tr>
            <td title="the calibration (logit scale and per-token shifts) was fitted on the train pairs">
              calibrated (fitted on the train pairs)
            </td>
            <td data-testid="live-calibrated">{fmtLoss(r?.lossCalibrated)}</td>
            <td>{fmtLoss(h?.lossCalibrated)}</td>
          </tr>
          <tr>
            <td>full model</td>
            <td>{fmtLoss(r?.lossFull)}</td>
            <td>{fmtLoss(h?.lossFull)}</td>
          </tr>
          <tr>
            <td>target</td>
            <td />
            <td>{fmtLoss(circuit.targetLoss)}</td>
          </tr>
          <tr>
            <td>nodes · edges</td>
            <td>{r ? `${r.nodes} · ${r.edges}` : "–"}</td>
            <td>{`${circuit.nodeCount} · ${circuit.edges.length}`}</td>
          </tr>
        </tbody>
      </table>
      <p class="small muted pad-x">
        {circuit.ablation} ablation · {r ? r.sequences : h ? 2 * h.pairs : "–"} sequences of the{" "}
        {split ?? "–"} split. Reached means the uncalibrated loss is at most the target. csp prune found this
        circuit {circuit.reached ? "reached" : "NOT reached"} on its {circuit.evalPairs} {circuit.evalSplit}{" "}
        evaluation pairs (uncalibrated {fmtLoss(circuit.lossCircuit)}, calibrated{" "}
        {fmtLoss(circuit.lossCalibrated)}, nothing kept {fmtLoss(circuit.lossEmpty)}).
      </p>
      <div class="actions">
        <span class="small muted" data-testid="edit-count">
          {p.edits === 0 ? "no edits" : `${p.edits} edit${p.edits === 1 ? "" : "s"}`}
        </span>
        <button class="ghost" disabled={p.edits === 0} onClick={p.onReset}>
          Reset
        </button>
        <button class="primary" data-action="export-json" onClick={p.onExport}>
          Export JSON
        </button>
      </div>
    </section>
  );
}
