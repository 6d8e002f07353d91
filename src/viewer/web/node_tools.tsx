import { useEffect, useState } from "preact/hooks";
import { FINAL_RESID, parseNodeKey, sublayerOf } from "../node_locations.js";
import { residualReaders, residualWriters } from "./circuit_paths.js";
import { useTools, type GraphTools } from "./use_graph_tools.js";

/** A row of clickable node chips. */
function NodeChips({ keys, t, testid }: { keys: string[]; t: GraphTools; testid: string }) {
  if (keys.length === 0) return <span class="muted small">none in the circuit</span>;
  return (
    <div class="chips" data-testid={testid}>
      {keys.map((k) => (
        <button
          key={k}
          class={`chip${t.disabledNodes.has(k) ? " off" : ""}`}
          data-node={k}
          onClick={() => t.selectNode(k)}
        >
          {k}
          {t.notes[k]?.label && <span class="w">{t.notes[k].label}</span>}
        </button>
      ))}
    </div>
  );
}

/** Where a node sits in the residual stream: the writers it reads from, or the readers of what it writes. */
function ResidualLinks({ t, nodeKey }: { t: GraphTools; nodeKey: string }) {
  const loc = parseNodeKey(nodeKey)?.loc ?? "";
  if (loc === FINAL_RESID || loc.endsWith(".act_in"))
    return (
      <div class="links">
        <h4>upstream writers (residual stream)</h4>
        <NodeChips keys={residualWriters(t.circuit, t.model, nodeKey)} t={t} testid="upstream" />
      </div>
    );
  if (loc.endsWith(".resid_delta"))
    return (
      <div class="links">
        <h4>downstream readers (residual stream)</h4>
        <NodeChips keys={residualReaders(t.circuit, t.model, nodeKey)} t={t} testid="downstream" />
      </div>
    );
  return null;
}

/** The nodes on the paths from this node to the logits, by sublayer in forward order. */
function PathList({ t }: { t: GraphTools }) {
  if (!t.path) return null;
  const bySub = new Map<string, string[]>();
  for (const k of t.path.nodes) {
    const loc = parseNodeKey(k)!.loc;
    const sub = loc === FINAL_RESID ? "final" : (sublayerOf(loc) ?? loc);
    bySub.set(sub, [...(bySub.get(sub) ?? []), k]);
  }
  const order = (s: string) =>
    s === "final" ? Infinity : Number(s.split(".")[0]) * 2 + (s.endsWith("mlp") ? 1 : 0);
  return (
    <div class="links" data-testid="path-view" data-from={t.path.from}>
      <h4>
        paths to the logits <span class="count">{t.path.nodes.size}</span>
      </h4>
      {t.path.nodes.size === 0 ? (
        <span class="muted small">no path from this node reaches final_resid in the circuit</span>
      ) : (
        [...bySub.keys()]
          .sort((a, b) => order(a) - order(b))
          .map((s) => (
            <div key={s}>
              <span class="small muted">{s}</span>
              <NodeChips keys={bySub.get(s)!.sort()} t={t} testid={`path-${s}`} />
            </div>
          ))
      )}
    </div>
  );
}

/** The node's label and note, saved into the circuit file. */
function NoteEditor({ t, nodeKey }: { t: GraphTools; nodeKey: string }) {
  const saved = t.notes[nodeKey];
  const [label, setLabel] = useState(saved?.label ?? "");
  const [note, setNote] = useState(saved?.note ?? "");
  const [status, setStatus] = useState<string>();
  useEffect(() => {
    setLabel(saved?.label ?? "");
    setNote(saved?.note ?? "");
    setStatus(undefined);
  }, [nodeKey, saved?.label, saved?.note]);
  const dirty = label !== (saved?.label ?? "") || note !== (saved?.note ?? "");
  return (
    <div class="note-editor">
      <input
        type="text"
        placeholder="label (shown in the graph and exports)"
        maxLength={200}
        value={label}
        data-action="note-label"
        onInput={(e) => setLabel((e.target as HTMLInputElement).value)}
      />
      <textarea
        rows={2}
        placeholder="note"
        value={note}
        data-action="note-text"
        onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)}
      />
      <div class="actions">
        <span class="small muted" data-testid="note-status">
          {status ?? t.notesError ?? (dirty ? "unsaved" : saved ? "saved in the circuit file" : "")}
        </span>
        <button
          class="ghost"
          data-action="save-note"
          disabled={!dirty}
          onClick={() => {
            setStatus("saving…");
            t.saveNote(nodeKey, label, note).then(
              () => setStatus("saved in the circuit file"),
              (e: Error) => setStatus(e.message),
            );
          }}
        >
          Save note
        </button>
      </div>
    </div>
  );
}

/** Pin, hide, path view, residual links and notes for the selected node (inside the node panel). */
export function NodeTools({ nodeKey }: { nodeKey: string }) {
  const t = useTools();
  const inCircuit = (() => {
    const k = parseNodeKey(nodeKey);
    return k !== undefined && (t.circuit.nodes[k.loc] ?? []).includes(k.index);
  })();
  return (
    <div class="node-tools">
      <div class="actions">
        <button class="ghost" data-action="pin" onClick={() => t.togglePin(nodeKey)}>
          {t.pinned.has(nodeKey) ? "Unpin" : "Pin"}
        </button>
        <button class="ghost" data-action="hide" onClick={() => t.toggleHide(nodeKey)}>
          {t.hidden.has(nodeKey) ? "Show in graph" : "Hide in graph"}
        </button>
        <button
          class="ghost"
          data-action="path"
          onClick={() => t.setPathFrom(t.path?.from === nodeKey ? undefined : nodeKey)}
        >
          {t.path?.from === nodeKey ? "Clear path" : "Paths to logits"}
        </button>
      </div>
      <ResidualLinks t={t} nodeKey={nodeKey} />
      {t.path?.from === nodeKey && <PathList t={t} />}
      {inCircuit && <NoteEditor t={t} nodeKey={nodeKey} />}
    </div>
  );
}
