import type { CircuitEntry, CircuitView, SessionInfo } from "../api_types.js";
import { entryReached, groupByTask } from "../circuit_choice.js";
import { baseName } from "./format.js";
import type { Tab } from "./use_viewer_state.js";

const TAB_LABELS: Record<Tab, string> = {
  circuit: "Circuit",
  sweep: "Loss vs size",
  embedding: "Embeddings",
  task: "Task",
  model: "Model",
  study: "Study",
  trajectory: "Trajectory",
};

/** The circuit's tabs when there are circuits, and the study and trajectory pages when given. */
function visibleTabs(session: SessionInfo): Tab[] {
  const circuitTabs: Tab[] =
    session.circuits.length > 0 ? ["circuit", "sweep", "embedding", "task", "model"] : [];
  return [
    ...circuitTabs,
    ...(session.study ? ["study" as const] : []),
    ...(session.trajectory ? ["trajectory" as const] : []),
  ];
}

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
          {groupByTask(session.circuits).map((g) => (
            <optgroup key={g.task} label={g.task === "unreadable files" ? g.task : `task ${g.task}`}>
              {g.circuits.map((c) => (
                <option
                  key={c.id}
                  value={c.id}
                  data-reached={String(entryReached(c) ?? "unreadable")}
                  data-task={c.taskName}
                >
                  {entryLabel(c)}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      )}
      {circuit && <CircuitBadges circuit={circuit} />}
      <nav class="tabs">
        {visibleTabs(session).map((t) => (
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

/** One selector line: file, size, and reached state (whole-model circuits that miss the target say so). */
function entryLabel(c: CircuitEntry): string {
  if (c.error) return `${baseName(c.file)} (unreadable)`;
  const reached = entryReached(c);
  const state = reached ? "reached" : c.wholeModel ? "NOT reached (whole model kept)" : "NOT reached";
  const where = c.headline ? "" : " (file)";
  return `${baseName(c.file)} · ${c.nodes} nodes · ${c.edges} edges · ${state}${where}`;
}
