import type { CircuitView, SessionInfo } from "../api_types.js";
import { baseName } from "./downloads.js";
import type { Tab } from "./use_viewer_state.js";

const TAB_LABELS: Record<Tab, string> = {
  circuit: "Circuit",
  sweep: "Loss vs size",
  embedding: "Embeddings",
  task: "Task",
};

export interface TopBarProps {
  session: SessionInfo;
  circuitId?: number;
  circuit?: CircuitView;
  tab: Tab;
  onCircuit: (id: number) => void;
  onTab: (tab: Tab) => void;
}

/** The page header: the circuit picker, the open circuit's badges and the tabs. */
export function TopBar({ session, circuitId, circuit, tab, onCircuit, onTab }: TopBarProps) {
  return (
    <header class="topbar">
      <div class="brand">
        <span class="logo">◈</span> circuit-sparsity <span class="muted">viewer</span>
      </div>
      {session.circuits.length > 0 && (
        <select
          class="circuit-select"
          value={circuitId}
          onChange={(e) => onCircuit(Number((e.target as HTMLSelectElement).value))}
        >
          {session.circuits.map((c) => (
            <option key={c.id} value={c.id}>
              {baseName(c.file)}
              {c.error ? " (unreadable)" : ` · ${c.nodes} nodes`}
            </option>
          ))}
        </select>
      )}
      {circuit && <CircuitBadges circuit={circuit} />}
      <nav class="tabs">
        {(["circuit", "sweep", "embedding", "task"] as Tab[]).map((t) => (
          <button key={t} class={tab === t ? "active" : ""} onClick={() => onTab(t)} data-tab={t}>
            {TAB_LABELS[t]}
          </button>
        ))}
      </nav>
    </header>
  );
}

/** What the open circuit is: its task, ablation, size and how it was found. */
function CircuitBadges({ circuit }: { circuit: CircuitView }) {
  return (
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
  );
}
