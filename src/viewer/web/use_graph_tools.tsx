import { createContext } from "preact";
import { useContext, useEffect, useMemo, useState } from "preact/hooks";
import type { CircuitView, ModelInfo, NodeDetail, NodeNote, NotesResponse } from "../api_types.js";
import { api } from "./api.js";
import { pathToLogits, type CircuitPath } from "./circuit_paths.js";
import { maxAbsWeight, nodeDeltas } from "./graph_style.js";
import { takeUrlView, writeUrlView } from "./url_state.js";
import type { ViewerState } from "./use_viewer_state.js";

/** The researcher's tools on the open circuit: pins, hidden nodes, threshold, path view, notes. */
export interface GraphTools {
  circuit: CircuitView;
  model: ModelInfo;
  deltas: ReadonlyMap<string, number>;
  maxDelta: number;
  /** Largest |w| of the circuit: edge widths and the threshold slider scale to it. */
  maxW: number;
  pinned: ReadonlySet<string>;
  hidden: ReadonlySet<string>;
  /** Edges with |w| below this are not drawn. */
  threshold: number;
  /** Show only pinned nodes (the subgraph the exports save). */
  pinnedOnly: boolean;
  path?: CircuitPath;
  notes: Readonly<Record<string, NodeNote>>;
  notesError?: string;
  selectedNode?: string;
  selectedEdge?: string;
  disabledNodes: ReadonlySet<string>;
  disabledEdges: ReadonlySet<string>;
  /** Details fetched so far, per node (hover cards). */
  known: ReadonlyMap<string, NodeDetail>;
  selectNode: (key: string) => void;
  selectEdge: (key: string) => void;
  toggleNode: (key: string) => void;
  togglePin: (key: string) => void;
  toggleHide: (key: string) => void;
  showAll: () => void;
  setThreshold: (v: number) => void;
  setPinnedOnly: (v: boolean) => void;
  /** Highlights every path from the node to the logits; undefined clears it. */
  setPathFrom: (key: string | undefined) => void;
  saveNote: (key: string, label: string, note: string) => Promise<void>;
}

export const GraphToolsContext = createContext<GraphTools | undefined>(undefined);

/** The tools of the circuit shown; components under the provider only. */
export function useTools(): GraphTools {
  const t = useContext(GraphToolsContext);
  if (!t) throw new Error("graph tools used outside their provider");
  return t;
}

const flipped = (set: ReadonlySet<string>, key: string): ReadonlySet<string> => {
  const next = new Set(set);
  if (!next.delete(key)) next.add(key);
  return next;
};

/** The tools' state; also keeps the whole view (this state and the viewer's) in the URL. */
export function useGraphTools(state: ViewerState): GraphTools | undefined {
  const { circuit, model, circuitId } = state;
  const [pinned, setPinned] = useState<ReadonlySet<string>>(new Set());
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const [threshold, setThreshold] = useState(0);
  const [pinnedOnly, setPinnedOnly] = useState(false);
  const [pathFrom, setPathFrom] = useState<string>();
  const [notes, setNotes] = useState<Record<string, NodeNote>>({});
  const [notesError, setNotesError] = useState<string>();

  useEffect(() => {
    if (circuitId === undefined) return;
    const v = takeUrlView(circuitId, "tools");
    setPinned(new Set(v?.pinned));
    setHidden(new Set(v?.hidden));
    setThreshold(v?.threshold ?? 0);
    setPinnedOnly(v?.pinnedOnly ?? false);
    setPathFrom(v?.path);
    setNotes({});
    setNotesError(undefined);
    api<NotesResponse>(`notes/${circuitId}`).then(
      (r) => setNotes(r.notes),
      (e: Error) => setNotesError(e.message),
    );
  }, [circuitId]);

  const deltas = useMemo(() => (circuit ? nodeDeltas(circuit) : new Map<string, number>()), [circuit]);
  const maxDelta = useMemo(() => Math.max(0, ...deltas.values()), [deltas]);
  const maxW = useMemo(() => (circuit ? maxAbsWeight(circuit.edges) : 0), [circuit]);
  const path = useMemo(
    () =>
      circuit && model && pathFrom ? pathToLogits(circuit, model, pathFrom, state.disabledNodes) : undefined,
    [circuit, model, pathFrom, state.disabledNodes],
  );

  useEffect(() => {
    if (!circuit || circuitId === undefined) return;
    writeUrlView({
      circuit: circuitId,
      tab: state.tab,
      sublayer: state.sublayer,
      node: state.selectedNode,
      edge: state.selectedEdge,
      off: [...state.disabledNodes],
      edgesOff: [...state.disabledEdges],
      pinned: [...pinned],
      hidden: [...hidden],
      threshold,
      pinnedOnly,
      path: pathFrom,
    });
  }, [
    circuit,
    circuitId,
    state.tab,
    state.sublayer,
    state.selectedNode,
    state.selectedEdge,
    state.disabledNodes,
    state.disabledEdges,
    pinned,
    hidden,
    threshold,
    pinnedOnly,
    pathFrom,
  ]);

  if (!circuit || !model) return undefined;
  return {
    circuit,
    model,
    deltas,
    maxDelta,
    maxW,
    pinned,
    hidden,
    threshold,
    pinnedOnly,
    path,
    notes,
    notesError,
    selectedNode: state.selectedNode,
    selectedEdge: state.selectedEdge,
    disabledNodes: state.disabledNodes,
    disabledEdges: state.disabledEdges,
    known: state.node.known,
    selectNode: state.selectNode,
    selectEdge: state.selectEdge,
    toggleNode: state.toggleNode,
    togglePin: (key) => setPinned(flipped(pinned, key)),
    toggleHide: (key) => setHidden(flipped(hidden, key)),
    showAll: () => {
      setHidden(new Set());
      setPinnedOnly(false);
    },
    setThreshold,
    setPinnedOnly,
    setPathFrom,
    saveNote: (key, label, note) =>
      api<NotesResponse>("notes", { circuit: circuit.id, node: key, label, note }).then(
        (r) => {
          setNotes(r.notes);
          setNotesError(undefined);
        },
        (e: Error) => {
          setNotesError(e.message);
          throw e;
        },
      ),
  };
}
