import { useEffect, useMemo, useState } from "preact/hooks";
import type { OpenedCircuit, StudyCellView, StudyView } from "../api_types.js";
import { api } from "./api.js";
import { fmtLoss } from "./format.js";

/** The summary numbers worth a glance; the rest is in report.md. */
const SUMMARY_KEYS = [
  "sparse_model",
  "dense_model",
  "matching",
  "target_loss",
  "tasks_compared",
  "edge_ratio_geomean",
  "node_ratio_geomean",
  "edge_ratio_geomean_interpolated",
];

const show = (v: unknown) =>
  v === null || v === undefined
    ? "–"
    : typeof v === "number"
      ? fmtLoss(v)
      : Array.isArray(v)
        ? v.join(", ") || "none"
        : String(v);

/**
 * A `csp study` output (csp view --study DIR): its plots, summary and cells; a cell's circuit opens in
 * the normal circuit view, in a viewer of its own model started on demand.
 */
export function StudyPage() {
  const [study, setStudy] = useState<StudyView>();
  const [error, setError] = useState<string>();
  const [model, setModel] = useState("");
  const [task, setTask] = useState("");
  const [opening, setOpening] = useState<number>();
  const [openError, setOpenError] = useState<string>();
  useEffect(() => {
    api<StudyView>("study").then(setStudy, (e: Error) => setError(e.message));
  }, []);
  const cells = useMemo(
    () => (study?.cells ?? []).filter((c) => (!model || c.model === model) && (!task || c.task === task)),
    [study, model, task],
  );
  if (error)
    return (
      <div class="card error-card" data-error="study">
        <h3>The study cannot be shown</h3>
        <p class="mono">{error}</p>
      </div>
    );
  if (!study) return <div class="loading">loading the study…</div>;
  const open = (c: StudyCellView) => {
    setOpening(c.index);
    setOpenError(undefined);
    api<OpenedCircuit>(`study/cell/${c.index}/open`, {}).then(
      (r) => window.location.assign(r.url),
      (e: Error) => {
        setOpening(undefined);
        setOpenError(e.message);
      },
    );
  };
  const tasks = [...new Set(study.cells.map((c) => c.task))];
  return (
    <div class="study">
      <section class="card">
        <header class="card-head">
          <div>
            <div class="eyebrow">study</div>
            <h3 class="mono">{study.dir}</h3>
          </div>
          <span class="muted small">
            {study.cells.length} cells · started {study.started}
          </span>
        </header>
        <p class="pad-x small mono">{study.command}</p>
        <table class="losses pad-x study-summary">
          <tbody>
            {SUMMARY_KEYS.filter((k) => k in study.summary).map((k) => (
              <tr key={k}>
                <td>{k}</td>
                <td>{show(study.summary[k])}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <table class="losses pad-x study-models">
          <thead>
            <tr>
              <th>model</th>
              <th>kind</th>
              <th>val loss</th>
              <th>nonzero / total</th>
            </tr>
          </thead>
          <tbody>
            {study.models.map((m) => (
              <tr key={m.name}>
                <td>{m.name}</td>
                <td>{m.kind}</td>
                <td>{show(m.valLoss)}</td>
                <td>
                  {m.nonzero} / {m.total}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {study.plots.length > 0 && (
        <section class="card">
          <header class="card-head">
            <h3>Plots</h3>
          </header>
          <div class="plot-grid pad">
            {study.plots.map((p) => (
              <figure key={p.name} data-plot={p.name}>
                <img alt={p.name} src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(p.svg)}`} />
                <figcaption class="muted small">{p.name}</figcaption>
              </figure>
            ))}
          </div>
        </section>
      )}
      <section class="card">
        <header class="card-head">
          <div>
            <div class="eyebrow">cells</div>
            <h3>
              {cells.length} of {study.cells.length}
            </h3>
          </div>
          <div class="inline small">
            <select
              value={model}
              onChange={(e) => setModel((e.target as HTMLSelectElement).value)}
              data-filter="model"
            >
              <option value="">every model</option>
              {study.models.map((m) => (
                <option key={m.name}>{m.name}</option>
              ))}
            </select>{" "}
            <select
              value={task}
              onChange={(e) => setTask((e.target as HTMLSelectElement).value)}
              data-filter="task"
            >
              <option value="">every task</option>
              {tasks.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </div>
        </header>
        {openError && (
          <div class="error" data-error="open-cell">
            {openError}
          </div>
        )}
        <div class="scroll">
          <table class="losses study-cells">
            <thead>
              <tr>
                {[
                  "model",
                  "task",
                  "target",
                  "method",
                  "control",
                  "reached",
                  "nodes",
                  "edges",
                  "full",
                  "circuit",
                  "calibrated",
                  "ablated",
                  "s",
                  "",
                ].map((h) => (
                  <th key={h}>{h}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {cells.map((c) => (
                <tr key={c.index} data-cell={c.index} class={c.reached ? "reached" : "missed"}>
                  <td>{c.model}</td>
                  <td>{c.task}</td>
                  <td>{c.targetLoss}</td>
                  <td>{c.method}</td>
                  <td>{c.control ?? ""}</td>
                  <td title={c.reached && !c.counts ? "the full model misses this target: not compared" : ""}>
                    {c.reached ? (c.counts ? "yes" : "(yes)") : "no"}
                  </td>
                  <td class="num">{c.nodes}</td>
                  <td class="num">{c.edges}</td>
                  <td class="num">{fmtLoss(c.lossFull)}</td>
                  <td class="num">{fmtLoss(c.lossCircuit)}</td>
                  <td class="num">{fmtLoss(c.lossCalibrated)}</td>
                  <td class="num">{fmtLoss(c.lossCircuitAblated)}</td>
                  <td class="num">{c.seconds.toFixed(0)}</td>
                  <td>
                    {c.circuitExists ? (
                      <button
                        class="ghost"
                        data-action="open-cell"
                        disabled={opening !== undefined}
                        onClick={() => open(c)}
                      >
                        {opening === c.index ? "opening…" : "open"}
                      </button>
                    ) : (
                      <span class="muted small" title={c.circuit}>
                        no file
                      </span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}
