import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { CircuitView, EvaluateResponse, NodeDetail, SessionInfo } from "../api_types.js";
import { edgeKey, parseNodeKey, sublayerOf } from "../node_locations.js";
import { api, download } from "./api.js";
import { LossSizeChart } from "./chart.js";
import { EmbeddingView } from "./embedding_view.js";
import { fmtLoss, fmtNum } from "./format.js";
import { LayerGraph, edgeEnds } from "./graph.js";
import { NodePanel } from "./node_panel.js";
import { Overview, sublayerDelta, sublayerNodeCount, sublayers } from "./overview.js";
import { TaskView } from "./task_view.js";

type Tab = "circuit" | "sweep" | "embedding" | "task";

/** Serialises an SVG element for download, standalone (all styling is in attributes). */
function svgText(el: SVGSVGElement | null): string {
  if (!el) return "";
  const copy = el.cloneNode(true) as SVGSVGElement;
  copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}\n`;
}

const baseName = (file: string) =>
  file
    .split(/[\\/]/)
    .pop()!
    .replace(/\.json$/, "");

/** The sublayer to open first: the one whose ablation hurts most, else the first with nodes. */
function defaultSublayer(c: CircuitView, subs: string[]): string {
  let best = subs.find((s) => sublayerNodeCount(c, s) > 0) ?? subs[0];
  let bestDelta = -Infinity;
  for (const s of subs) {
    const d = sublayerDelta(c, s);
    if (d !== undefined && d > bestDelta && sublayerNodeCount(c, s) > 0) [best, bestDelta] = [s, d];
  }
  return best;
}

export function App() {
  const [session, setSession] = useState<SessionInfo>();
  const [fatal, setFatal] = useState<string>();
  const [circuitId, setCircuitId] = useState<number>();
  const [circuit, setCircuit] = useState<CircuitView>();
  const [circuitError, setCircuitError] = useState<string>();
  const [tab, setTab] = useState<Tab>("circuit");
  const [sublayer, setSublayer] = useState<string>();
  const [offNodes, setOffNodes] = useState<ReadonlySet<string>>(new Set());
  const [offEdges, setOffEdges] = useState<ReadonlySet<string>>(new Set());
  const [selNode, setSelNode] = useState<string>();
  const [selEdge, setSelEdge] = useState<string>();
  const [evaluation, setEvaluation] = useState<EvaluateResponse>();
  const [evalError, setEvalError] = useState<string>();
  const [evaluating, setEvaluating] = useState(false);
  const [prompt, setPrompt] = useState<{ index: number; textA: string; textB: string }>();
  const [detail, setDetail] = useState<NodeDetail>();
  const [detailError, setDetailError] = useState<string>();
  const [detailLoading, setDetailLoading] = useState(false);
  const graphRef = useRef<SVGSVGElement>(null);
  const overviewRef = useRef<SVGSVGElement>(null);
  const evalSeq = useRef(0);
  const nodeSeq = useRef(0);

  useEffect(() => {
    api<SessionInfo>("session").then(
      (s) => {
        setSession(s);
        const ok = s.circuits.find((c) => !c.error);
        setCircuitId(ok?.id ?? s.circuits[0]?.id);
      },
      (e: Error) => setFatal(e.message),
    );
  }, []);

  useEffect(() => {
    if (circuitId === undefined) return;
    setCircuit(undefined);
    setCircuitError(undefined);
    setOffNodes(new Set());
    setOffEdges(new Set());
    setSelNode(undefined);
    setSelEdge(undefined);
    api<CircuitView>(`circuit/${circuitId}`).then(setCircuit, (e: Error) => setCircuitError(e.message));
  }, [circuitId]);

  const model = session?.model;
  const subs = useMemo(() => (model ? sublayers(model) : []), [model]);
  useEffect(() => {
    if (circuit && subs.length > 0) setSublayer(defaultSublayer(circuit, subs));
  }, [circuit, subs]);

  const edits = () => ({ circuit: circuitId!, disabledNodes: [...offNodes], disabledEdges: [...offEdges] });

  // Live evaluation: every change of the circuit's edits or of the edited prompt re-runs the task.
  useEffect(() => {
    if (!circuit || circuit.liveError) return;
    const seq = ++evalSeq.current;
    setEvaluating(true);
    api<EvaluateResponse>("evaluate", { ...edits(), prompt }).then(
      (r) => {
        if (seq !== evalSeq.current) return;
        setEvaluation(r);
        setEvalError(undefined);
        setEvaluating(false);
      },
      (e: Error) => {
        if (seq !== evalSeq.current) return;
        setEvalError(e.message);
        setEvaluating(false);
      },
    );
  }, [circuit, offNodes, offEdges, prompt]);

  useEffect(() => {
    if (!circuit || !selNode) return;
    const k = parseNodeKey(selNode)!;
    const seq = ++nodeSeq.current;
    setDetailLoading(true);
    setDetailError(undefined);
    api<NodeDetail>("node", { ...edits(), loc: k.loc, index: k.index }).then(
      (d) => {
        if (seq !== nodeSeq.current) return;
        setDetail(d);
        setDetailLoading(false);
      },
      (e: Error) => {
        if (seq !== nodeSeq.current) return;
        setDetailError(e.message);
        setDetailLoading(false);
      },
    );
  }, [circuit, selNode, offNodes, offEdges]);

  const toggle = (set: ReadonlySet<string>, key: string) => {
    const next = new Set(set);
    if (!next.delete(key)) next.add(key);
    return next;
  };
  const selectNode = (key: string) => {
    setSelEdge(undefined);
    if (key !== selNode) setDetail(undefined);
    setSelNode(key);
    const sub = sublayerOf(parseNodeKey(key)!.loc);
    if (sub) setSublayer(sub);
  };

  if (fatal) return <Fatal message={fatal} />;
  if (!session) return <div class="loading">loading…</div>;
  const entry = session.circuits.find((c) => c.id === circuitId);
  const baseLoss = circuit ? circuit.effectsBase : 0;
  const edgeInfo =
    selEdge && circuit ? circuit.edges.find((e) => edgeKey(e.src, e.dst) === selEdge) : undefined;
  const nEdits = offNodes.size + offEdges.size;

  return (
    <div class="app">
      <header class="topbar">
        <div class="brand">
          <span class="logo">◈</span> circuit-sparsity <span class="muted">viewer</span>
        </div>
        {session.circuits.length > 0 && (
          <select
            class="circuit-select"
            value={circuitId}
            onChange={(e) => setCircuitId(Number((e.target as HTMLSelectElement).value))}
          >
            {session.circuits.map((c) => (
              <option key={c.id} value={c.id}>
                {baseName(c.file)}
                {c.error ? " (unreadable)" : ` · ${c.nodes} nodes`}
              </option>
            ))}
          </select>
        )}
        {circuit && (
          <div class="badges">
            <span class="badge">
              task <b>{circuit.taskName}</b>
            </span>
            <span class="badge">
              ablation <b>{circuit.ablation}</b>
            </span>
            <span class="badge">
              nodes <b>{circuit.nodeCount}</b> of {circuit.modelNodes}
            </span>
            <span class="badge">
              edges <b>{circuit.edges.length}</b>
            </span>
            <span class="badge">
              method <b>{circuit.method}</b>
            </span>
            {circuit.control !== "none" && (
              <span class="badge warn">
                control <b>{circuit.control}</b>
              </span>
            )}
          </div>
        )}
        <nav class="tabs">
          {(["circuit", "sweep", "embedding", "task"] as Tab[]).map((t) => (
            <button key={t} class={tab === t ? "active" : ""} onClick={() => setTab(t)} data-tab={t}>
              {{ circuit: "Circuit", sweep: "Loss vs size", embedding: "Embeddings", task: "Task" }[t]}
            </button>
          ))}
        </nav>
      </header>
      <Notices session={session} />
      {(circuitError || entry?.error) && (
        <div class="card error-card" data-error="circuit">
          <h3>This circuit file cannot be shown</h3>
          <p class="mono">{circuitError ?? entry?.error}</p>
        </div>
      )}
      {session.circuits.length === 0 && (
        <div class="card error-card">
          <h3>No circuit files</h3>
          <p>
            Start the viewer with one or more circuit files: <code>csp view circuit.json</code>.
          </p>
        </div>
      )}
      {circuit && model && (
        <div class="layout">
          <main class="main">
            {tab === "circuit" && (
              <>
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
                        onClick={() =>
                          download(
                            `${baseName(circuit.file)}-overview.svg`,
                            svgText(overviewRef.current),
                            "image/svg+xml",
                          )
                        }
                      >
                        SVG
                      </button>
                    </div>
                  </header>
                  <div class="scroll">
                    <Overview
                      circuit={circuit}
                      model={model}
                      disabledNodes={offNodes}
                      current={sublayer}
                      onOpen={setSublayer}
                      svgRef={overviewRef}
                    />
                  </div>
                </section>
                <section class="card">
                  <header class="card-head">
                    <div>
                      <div class="eyebrow">layer graph</div>
                      <h3>{sublayer}</h3>
                    </div>
                    <div class="legend-inline small">
                      <span>
                        <i class="ln pos" /> positive weight
                      </span>
                      <span>
                        <i class="ln neg" /> negative weight
                      </span>
                      <span>
                        <i class="sw grad" /> ablation Δ loss
                      </span>
                      <button
                        class="ghost"
                        data-action="export-svg"
                        onClick={() =>
                          download(
                            `${baseName(circuit.file)}-${sublayer}.svg`,
                            svgText(graphRef.current),
                            "image/svg+xml",
                          )
                        }
                      >
                        Export SVG
                      </button>
                    </div>
                  </header>
                  <div class="sublayer-pills">
                    {subs.map((s) => {
                      const n = sublayerNodeCount(circuit, s);
                      const d = sublayerDelta(circuit, s);
                      return (
                        <button
                          key={s}
                          class={`pill${s === sublayer ? " active" : ""}${n === 0 ? " empty" : ""}`}
                          data-sublayer={s}
                          onClick={() => setSublayer(s)}
                        >
                          {s}
                          <span class="n">{n}</span>
                          {d !== undefined && <span class="d">Δ {fmtLoss(d)}</span>}
                        </button>
                      );
                    })}
                  </div>
                  <div class="scroll">
                    {sublayer && (
                      <LayerGraph
                        circuit={circuit}
                        sublayer={sublayer}
                        model={model}
                        state={{
                          disabledNodes: offNodes,
                          disabledEdges: offEdges,
                          selectedNode: selNode,
                          selectedEdge: selEdge,
                        }}
                        onNode={selectNode}
                        onEdge={(k) => {
                          setSelNode(undefined);
                          setSelEdge(k);
                        }}
                        svgRef={graphRef}
                      />
                    )}
                  </div>
                </section>
              </>
            )}
            {tab === "sweep" && (
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
                    (uncalibrated) · <span style={{ color: "#dd6b20" }}>●</span> one point per circuit file
                    given on the command line (calibrated)
                  </p>
                  {circuit.pruneConfig !== undefined && (
                    <details>
                      <summary>prune_config</summary>
                      <pre class="mono">{JSON.stringify(circuit.pruneConfig, null, 2)}</pre>
                    </details>
                  )}
                </div>
              </section>
            )}
            {tab === "embedding" && <EmbeddingView circuit={circuit} model={model} />}
            {tab === "task" && (
              <TaskView
                result={evaluation}
                onPrompt={(index, textA, textB) => setPrompt({ index, textA, textB })}
              />
            )}
          </main>
          <aside class="side">
            <LiveCard
              circuit={circuit}
              evaluation={evaluation}
              error={evalError ?? circuit.liveError}
              evaluating={evaluating}
              edits={nEdits}
              onReset={() => {
                setOffNodes(new Set());
                setOffEdges(new Set());
              }}
              onExport={() =>
                api<unknown>("export", edits()).then(
                  (json) =>
                    download(
                      `${baseName(circuit.file)}-edited.json`,
                      JSON.stringify(json, null, 2) + "\n",
                      "application/json",
                    ),
                  (e: Error) => setEvalError(e.message),
                )
              }
            />
            {selEdge && (
              <section class="card" data-edge-panel={selEdge}>
                <header class="card-head">
                  <div>
                    <div class="eyebrow">edge</div>
                    <h3 class="mono small-h">
                      {edgeEnds(selEdge)?.src} → {edgeEnds(selEdge)?.dst}
                    </h3>
                  </div>
                  <button
                    class={`toggle ${offEdges.has(selEdge) ? "on" : "off"}`}
                    onClick={() => setOffEdges(toggle(offEdges, selEdge))}
                  >
                    {offEdges.has(selEdge) ? "Switch on" : "Switch off"}
                  </button>
                </header>
                <div class="stats">
                  <div>
                    <span class="label">weight</span>
                    <span class="value">{fmtNum(edgeInfo?.weight)}</span>
                  </div>
                  <div>
                    <span class="label">state</span>
                    <span class="value">{offEdges.has(selEdge) ? "switched off" : "in circuit"}</span>
                  </div>
                </div>
                <p class="muted small pad">
                  A switched-off edge passes its source's mean activation instead of the live one.
                </p>
              </section>
            )}
            {selNode && (
              <NodePanel
                nodeKey={selNode}
                detail={detail && `${detail.loc}:${detail.index}` === selNode ? detail : undefined}
                error={detailError}
                loading={detailLoading}
                off={offNodes.has(selNode)}
                baseLoss={baseLoss}
                onToggle={() => setOffNodes(toggle(offNodes, selNode))}
                onSelect={selectNode}
              />
            )}
            {!selNode && !selEdge && tab === "circuit" && (
              <section class="card hint">
                <p>
                  Click a node in the layer graph to see its connections and activations; switch nodes or
                  edges off to re-run the task with the edited circuit.
                </p>
              </section>
            )}
          </aside>
        </div>
      )}
    </div>
  );
}

function Fatal({ message }: { message: string }) {
  return (
    <div class="card error-card">
      <h3>The viewer could not start</h3>
      <p class="mono">{message}</p>
    </div>
  );
}

function Notices({ session }: { session: SessionInfo }) {
  const notes = [session.modelError, session.samplesError].filter((n): n is string => !!n);
  if (notes.length === 0) return null;
  return (
    <div class="notices">
      {notes.map((n) => (
        <div key={n} class="notice">
          {n}
        </div>
      ))}
    </div>
  );
}

interface LiveCardProps {
  circuit: CircuitView;
  evaluation?: EvaluateResponse;
  error?: string;
  evaluating: boolean;
  edits: number;
  onReset: () => void;
  onExport: () => void;
}

/** The task loss of the circuit as edited, recomputed by the server on every edit. */
function LiveCard({ circuit, evaluation: r, error, evaluating, edits, onReset, onExport }: LiveCardProps) {
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
