import { useEffect, useMemo, useState } from "preact/hooks";
import type { OpenedCircuit, TrajectoryView as Trajectory } from "../api_types.js";
import { ATTN_SLOTS, MLP_SLOTS, parseLocation, parseNodeKey } from "../node_locations.js";
import { api } from "./api.js";
import { fmtLoss, fmtNum } from "./format.js";
import { LineChart } from "./line_chart.js";

/** Viridis at five stops: early entries dark purple, late ones yellow. */
const STOPS: [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** Colour of t in [0, 1] on the entry-step scale. */
export function entryColour(t: number): string {
  const x = Math.max(0, Math.min(1, t)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const c = STOPS[i].map((v, k) => Math.round(v + (STOPS[i + 1][k] - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** Sort key of a node location: layer, attention before MLP, slot order; final_resid last. */
function siteOrder(loc: string): number {
  const p = parseLocation(loc);
  if (!p) return Number.MAX_SAFE_INTEGER;
  if (p.kind === "final") return Number.MAX_SAFE_INTEGER - 1;
  const slots = p.sublayer === "attn" ? ATTN_SLOTS : MLP_SLOTS;
  return p.layer * 100 + (p.sublayer === "attn" ? 0 : 50) + slots.indexOf(p.slot);
}

const ROW = 22;
const LABEL = 130;

/**
 * Every node that is in the circuit at some snapshot, one row per location, at a fixed place; the shown
 * snapshot's nodes are coloured by the step at which they first entered the circuit, the others are
 * faint outlines.
 */
function NodeMap({ t, shown }: { t: Trajectory; shown: number }) {
  const rows = useMemo(() => {
    const byLoc = new Map<string, number[]>();
    for (const key of Object.keys(t.entryStep)) {
      const k = parseNodeKey(key);
      if (!k) continue;
      byLoc.set(k.loc, [...(byLoc.get(k.loc) ?? []), k.index]);
    }
    return [...byLoc.entries()]
      .map(([loc, idx]) => ({ loc, idx: idx.sort((a, b) => a - b) }))
      .sort((a, b) => siteOrder(a.loc) - siteOrder(b.loc) || a.loc.localeCompare(b.loc));
  }, [t]);
  const present = new Set(t.snapshots[shown].nodeSet);
  const first = t.snapshots[0].step;
  const last = t.snapshots[t.snapshots.length - 1].step;
  const widest = Math.max(1, ...rows.map((r) => r.idx.length));
  const dx = Math.max(5, Math.min(16, 640 / widest));
  const W = LABEL + widest * dx + 20;
  const H = rows.length * ROW + 20;
  return (
    <svg
      class="trajectory-map"
      xmlns="http://www.w3.org/2000/svg"
      width={W}
      height={H}
      font-family="Inter, system-ui, sans-serif"
    >
      <rect x={0} y={0} width={W} height={H} fill="#fff" />
      {rows.map((r, y) => (
        <g key={r.loc}>
          <text x={LABEL - 8} y={14 + y * ROW} font-size={11} text-anchor="end" fill="#4a5568">
            {r.loc}
          </text>
          {r.idx.map((i, x) => {
            const key = `${r.loc}:${i}`;
            const entry = t.entryStep[key];
            const on = present.has(key);
            return (
              <circle
                key={key}
                class={`traj-node${on ? "" : " absent"}`}
                data-node={key}
                data-entry={entry}
                cx={LABEL + x * dx + dx / 2}
                cy={10 + y * ROW}
                r={on ? Math.min(6, dx / 2 - 0.5) : 2}
                fill={on ? entryColour(last > first ? (entry - first) / (last - first) : 1) : "#fff"}
                stroke={on ? "#1a202c" : "#cbd5e0"}
                stroke-width={on ? 0.5 : 1}
              >
                <title>{`${key}: entered at step ${entry}${on ? "" : " (not in this snapshot)"}`}</title>
              </circle>
            );
          })}
        </g>
      ))}
    </svg>
  );
}

/**
 * A circuit across training (csp view --trajectory FILE): a slider over the snapshots, the circuit at
 * the chosen one with nodes coloured by when they entered, its numbers, and the curves of task loss,
 * circuit size and overlap with the final circuit against the step.
 */
export function TrajectoryView() {
  const [t, setT] = useState<Trajectory>();
  const [error, setError] = useState<string>();
  const [openError, setOpenError] = useState<string>();
  const [shown, setShown] = useState(0);
  useEffect(() => {
    api<Trajectory>("trajectory").then(
      (v) => {
        setT(v);
        setShown(v.snapshots.length - 1);
      },
      (e: Error) => setError(e.message),
    );
  }, []);
  if (error)
    return (
      <div class="card error-card" data-error="trajectory">
        <h3>The trajectory cannot be shown</h3>
        <p class="mono">{error}</p>
      </div>
    );
  if (!t) return <div class="loading">loading the trajectory…</div>;
  const s = t.snapshots[shown];
  const steps = t.snapshots.map((x) => x.step);
  const open = () => {
    setOpenError(undefined);
    api<OpenedCircuit>(`trajectory/snapshot/${shown}/open`, {}).then(
      (r) => window.location.assign(r.url),
      (e: Error) => setOpenError(e.message),
    );
  };
  return (
    <div class="trajectory">
      <section class="card">
        <header class="card-head">
          <div>
            <div class="eyebrow">circuit across training</div>
            <h3>
              {t.taskName} on {t.modelName}
            </h3>
          </div>
          <span class="muted small mono">{t.file}</span>
        </header>
        <div class="pad">
          <input
            type="range"
            class="snapshot-slider"
            min={0}
            max={t.snapshots.length - 1}
            step={1}
            value={shown}
            onInput={(e) => setShown(Number((e.target as HTMLInputElement).value))}
          />
          <div class="stats snapshot-stats" data-step={s.step}>
            <div>
              <span class="label">step</span> <b data-testid="snapshot-step">{s.step}</b> of {t.finalStep}
            </div>
            <div>
              <span class="label">tokens</span> {fmtNum(s.tokens)}
            </div>
            <div>
              <span class="label">task loss (full model)</span> {fmtLoss(s.taskLoss)}
            </div>
            <div class={s.reached ? "" : "bad"}>
              <span class="label">circuit</span> {s.reached ? "reached" : "not reached"} target{" "}
              {fmtLoss(t.targetLoss)}
            </div>
            <div>
              <span class="label">size</span> {s.nodes} nodes, {s.edges} edges
            </div>
            <div>
              <span class="label">Jaccard with final</span> {fmtNum(s.jaccardWithFinal ?? undefined)}
            </div>
            <div>
              <span class="label">val loss</span> {s.valLoss === null ? "–" : fmtLoss(s.valLoss)}
            </div>
          </div>
          <div class="legend-inline small">
            <span>entered at step</span>
            <i class="sw grad trajectory-grad" />
            <span>
              {steps[0]} → {steps[steps.length - 1]}
            </span>
            {s.circuitExists && (
              <button class="ghost" data-action="open-snapshot" onClick={open}>
                open this circuit
              </button>
            )}
          </div>
          {openError && <div class="error">{openError}</div>}
        </div>
        <div class="scroll">
          <NodeMap t={t} shown={shown} />
        </div>
      </section>
      <section class="card">
        <div class="chart-grid">
          <LineChart
            id="task-loss"
            title="task loss of the full model"
            xLabel="training step"
            yLabel="task loss"
            logY
            markerX={s.step}
            lines={[{ y: t.targetLoss, label: "target" }]}
            series={[
              {
                name: "task loss",
                colour: "#3182ce",
                points: t.snapshots.map((x) => ({ x: x.step, y: x.taskLoss })),
              },
            ]}
          />
          <LineChart
            id="size"
            title="circuit size"
            xLabel="training step"
            yLabel="count"
            markerX={s.step}
            series={[
              {
                name: "nodes",
                colour: "#6b46c1",
                points: t.snapshots.map((x) => ({ x: x.step, y: x.nodes })),
              },
              {
                name: "edges",
                colour: "#dd6b20",
                dash: "4 3",
                points: t.snapshots.map((x) => ({ x: x.step, y: x.edges })),
              },
            ]}
          />
          <LineChart
            id="jaccard"
            title="overlap with the final circuit (Jaccard)"
            xLabel="training step"
            yLabel="Jaccard"
            markerX={s.step}
            series={[
              {
                name: "Jaccard",
                colour: "#2f855a",
                points: t.snapshots.map((x) => ({ x: x.step, y: x.jaccardWithFinal ?? NaN })),
              },
            ]}
          />
        </div>
      </section>
    </div>
  );
}
