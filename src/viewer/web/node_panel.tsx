import { useState } from "preact/hooks";
import type { CircuitEdge, NodeDetail } from "../api_types.js";
import { NEGATIVE, POSITIVE } from "./colour.js";
import { fmtLoss, fmtNum } from "./format.js";
import { ScaleLegend, TokenHeatmap, snippetScale } from "./heatmap.js";

export interface NodePanelProps {
  nodeKey: string;
  detail?: NodeDetail;
  error?: string;
  loading: boolean;
  off: boolean;
  /** The circuit's own loss, to turn the stored effect into a delta. */
  baseLoss: number;
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
      {p.loading && !d && <div class="muted pad">computing activations…</div>}
      {d && (
        <>
          <div class="stats">
            <div>
              <span class="label">ablation Δ loss</span>
              <span class="value">{d.effect === undefined ? "–" : fmtLoss(d.effect - p.baseLoss)}</span>
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
          {tab === "pretraining" ? <Pretraining d={d} /> : <TaskActs d={d} />}
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

function TaskActs({ d }: { d: NodeDetail }) {
  if (!d.task) return <div class="muted pad">{d.taskError}</div>;
  const scale = snippetScale([d.task.classA, d.task.classB]);
  const diffScale = snippetScale([d.task.diff]);
  return (
    <div class="samples">
      <p class="muted small">
        Activations under the current circuit (nodes outside it mean-ablated); the last token is the
        prediction point.
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
