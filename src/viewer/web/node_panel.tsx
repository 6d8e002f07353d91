import { useEffect, useState } from "preact/hooks";
import type { CircuitEdge, CircuitView, NodeDetail } from "../api_types.js";
import { parseNodeKey, sublayerOf } from "../node_locations.js";
import { NEGATIVE, POSITIVE } from "./colour.js";
import { fmtLoss, fmtNum } from "./format.js";
import { ScaleLegend, TokenHeatmap, snippetScale } from "./heatmap.js";
import { NodeTools } from "./node_tools.js";
import { SteerPanel } from "./steer_panel.js";

export interface NodePanelProps {
  nodeKey: string;
  detail?: NodeDetail;
  error?: string;
  loading: boolean;
  off: boolean;
  /** The circuit's own loss, to turn the stored effect into a delta. */
  baseLoss: number;
  /** The open circuit: where its stored effects come from, its ablation and its layer effects. */
  circuit?: CircuitView;
  /** The live headline loss (uncalibrated) of the current edits; undefined while stale. */
  liveLoss?: number;
  /** The live headline's split and pairs. */
  liveSplit?: string;
  livePairs?: number;
  /** The live headline loss with this node switched off too (same pairs and baselines). */
  measureOff?: (key: string) => Promise<number>;
  onToggle: () => void;
  onSelect: (key: string) => void;
}

function Connections({
  title,
  edges,
  end,
  onSelect,
}: {
  title: string;
  edges: CircuitEdge[];
  end: "src" | "dst";
  onSelect: (k: string) => void;
}) {
  const sorted = [...edges].sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight));
  return (
    <div class="connections">
      <h4>
        {title} <span class="count">{edges.length}</span>
      </h4>
      {sorted.length === 0 ? (
        <span class="muted">none</span>
      ) : (
        <div class="chips">
          {sorted.slice(0, 40).map((e) => (
            <button
              key={e[end]}
              class="chip"
              onClick={() => onSelect(e[end])}
              title={`weight ${fmtNum(e.weight)}`}
            >
              <span class="dot" style={{ background: e.weight >= 0 ? POSITIVE : NEGATIVE }} />
              {e[end]}
              <span class="w">{fmtNum(e.weight, 2)}</span>
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

/** The selected node: its effect, connections, and activations on pretraining text and task pairs. */
export function NodePanel(p: NodePanelProps) {
  const [tab, setTab] = useState<"pretraining" | "task">("pretraining");
  const d = p.detail;
  const head = d?.head !== undefined ? ` · head ${d.head}, channel ${d.headChannel}` : "";
  return (
    <section class="card node-panel" data-node={p.nodeKey}>
      <header class="card-head">
        <div>
          <div class="eyebrow">node{head}</div>
          <h3 class="mono">{p.nodeKey}</h3>
        </div>
        <button class={`toggle ${p.off ? "on" : "off"}`} onClick={p.onToggle} data-action="toggle-node">
          {p.off ? "Switch on" : "Switch off"}
        </button>
      </header>
      {p.error && <div class="error">{p.error}</div>}
      <NodeTools nodeKey={p.nodeKey} />
      <SteerPanel nodeKey={p.nodeKey} circuit={p.circuit} />
      {p.loading && !d && <div class="muted pad">computing activations…</div>}
      {d && (
        <>
          <div class="stats">
            <div>
              <span class="label">node Δ (file)</span>
              <span class="value" data-testid="file-delta">
                {d.effect === undefined ? "–" : fmtLoss(d.effect - p.baseLoss)}
              </span>
            </div>
            <div>
              <span class="label">mean activation</span>
              <span class="value">{fmtNum(d.mean)}</span>
            </div>
            <div>
              <span class="label">state</span>
              <span class={`value ${p.off ? "warn" : "ok"}`}>{p.off ? "switched off" : "in circuit"}</span>
            </div>
          </div>
          <Baselines {...p} />
          <Connections title="inputs" edges={d.inputs} end="src" onSelect={p.onSelect} />
          <Connections title="outputs" edges={d.outputs} end="dst" onSelect={p.onSelect} />
          <div class="tabs small">
            <button class={tab === "pretraining" ? "active" : ""} onClick={() => setTab("pretraining")}>
              pretraining
            </button>
            <button class={tab === "task" ? "active" : ""} onClick={() => setTab("task")}>
              task pairs
            </button>
          </div>
          {tab === "pretraining" ? (
            <Pretraining d={d} />
          ) : (
            <TaskActs
              d={d}
              ablation={p.circuit?.ablation ?? "mean"}
              split={p.circuit?.evalSplit ?? "train"}
            />
          )}
        </>
      )}
    </section>
  );
}

function Pretraining({ d }: { d: NodeDetail }) {
  if (!d.pretraining) return <div class="muted pad">{d.pretrainingError}</div>;
  const scale = snippetScale(d.pretraining.flatMap((q) => [q.top, q.bottom]));
  return (
    <div class="samples">
      <ScaleLegend scale={scale} />
      {d.pretraining.map((q) => (
        <div class="quantile" key={q.fraction}>
          <div>
            <h5>bottom {q.fraction * 100}%</h5>
            {q.bottom.map((s, i) => (
              <TokenHeatmap key={i} snippet={s} scale={scale} />
            ))}
          </div>
          <div>
            <h5>top {q.fraction * 100}%</h5>
            {q.top.map((s, i) => (
              <TokenHeatmap key={i} snippet={s} scale={scale} />
            ))}
          </div>
        </div>
      ))}
    </div>
  );
}

/**
 * Where each Δ comes from: the file's node and layer effects (csp prune, on the first `effects.pairs` of
 * its evaluation pairs, relative to the circuit's loss there) and, on request, a live switch-off Δ on the
 * same pairs and baselines as the live headline, so the two can be compared.
 */
function Baselines(p: NodePanelProps) {
  const c = p.circuit;
  const [measured, setMeasured] = useState<{ value?: number; error?: string; busy?: boolean }>({});
  // A measurement belongs to one node under one set of edits.
  useEffect(() => setMeasured({}), [p.nodeKey, p.liveLoss]);
  if (!c) return null;
  const sub = sublayerOf(parseNodeKey(p.nodeKey)?.loc ?? "");
  const layer = sub !== undefined ? c.layerEffects[sub] : undefined;
  const canMeasure = !p.off && p.liveLoss !== undefined && p.measureOff !== undefined;
  const measure = () => {
    const base = p.liveLoss!;
    setMeasured({ busy: true });
    p.measureOff!(p.nodeKey).then(
      (loss) => setMeasured({ value: loss - base }),
      (e: Error) => setMeasured({ error: e.message }),
    );
  };
  return (
    <div class="baselines small pad-x" data-testid="baselines">
      <p class="muted">
        node Δ and layer Δ
        {sub ? ` (${sub}: ${layer === undefined ? "–" : fmtLoss(layer - c.effectsBase)})` : ""} are from the
        circuit file&apos;s effects: {c.effectsPairs} pairs of the {c.evalSplit} split, circuit loss there{" "}
        {fmtLoss(c.effectsBase)}, {c.ablation} ablation.
      </p>
      <p>
        live switch-off Δ{" "}
        <b data-testid="live-delta" data-delta={measured.value}>
          {measured.busy ? "…" : measured.value === undefined ? "–" : fmtLoss(measured.value)}
        </b>{" "}
        <button
          class="ghost"
          data-action="live-delta"
          disabled={!canMeasure || measured.busy}
          onClick={measure}
        >
          measure
        </button>
        <span class="muted">
          {" "}
          on the live headline&apos;s pairs ({p.livePairs ?? "–"} of the {p.liveSplit ?? "–"} split, base{" "}
          {fmtLoss(p.liveLoss)}){p.off ? "; the node is already off" : ""}
        </span>
      </p>
      {measured.error && <div class="error">{measured.error}</div>}
    </div>
  );
}

function TaskActs({ d, ablation, split }: { d: NodeDetail; ablation: string; split: string }) {
  if (!d.task) return <div class="muted pad">{d.taskError}</div>;
  const scale = snippetScale([d.task.classA, d.task.classB]);
  const diffScale = snippetScale([d.task.diff]);
  return (
    <div class="samples">
      <p class="muted small">
        Activations on the first {split} pairs under the current circuit (nodes outside it{" "}
        {`${ablation}-ablated`}); the last token is the prediction point.
      </p>
      <div class="task-cols">
        <div>
          <h5>class A</h5>
          <ScaleLegend scale={scale} />
          {d.task.classA.map((s, i) => (
            <TokenHeatmap key={i} snippet={s} scale={scale} />
          ))}
        </div>
        <div>
          <h5>class B</h5>
          <ScaleLegend scale={scale} />
          {d.task.classB.map((s, i) => (
            <TokenHeatmap key={i} snippet={s} scale={scale} />
          ))}
        </div>
        <div>
          <h5>B − A</h5>
          <ScaleLegend scale={diffScale} />
          {d.task.diff.map((s, i) => (
            <TokenHeatmap key={i} snippet={s} scale={diffScale} />
          ))}
        </div>
      </div>
    </div>
  );
}
