import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { CircuitView, Edits, ModelInfo, SessionInfo } from "../api_types.js";
import { FINAL_RESID, parseNodeKey, sublayerOf } from "../node_locations.js";
import { api, download } from "./api.js";
import { baseName } from "./downloads.js";
import { initialCircuit } from "../circuit_choice.js";
import { defaultSublayer, sublayers } from "./sublayer_summary.js";
import { takeUrlView, urlCircuit } from "./url_state.js";
import { useLiveEvaluation, type LiveEvaluation } from "./use_live_evaluation.js";
import { useNodeDetail, type NodeDetailState } from "./use_node_detail.js";

/** The circuit's tabs, the model's (training metrics, wpe), and the pages of --study and --trajectory. */
export type Tab = "circuit" | "sweep" | "embedding" | "task" | "model" | "study" | "trajectory";
const TABS: readonly Tab[] = ["circuit", "sweep", "embedding", "task", "model", "study", "trajectory"];

/** Everything the panels share: the session, the open circuit, the user's edits and selection. */
export interface ViewerState {
  session?: SessionInfo;
  /** Why the session could not be loaded: the viewer shows nothing else. */
  fatal?: string;
  circuitId?: number;
  circuit?: CircuitView;
  circuitError?: string;
  model?: ModelInfo;
  /** The model's sublayers in order. */
  subs: string[];
  tab: Tab;
  sublayer?: string;
  disabledNodes: ReadonlySet<string>;
  disabledEdges: ReadonlySet<string>;
  selectedNode?: string;
  selectedEdge?: string;
  live: LiveEvaluation;
  node: NodeDetailState;
  chooseCircuit: (id: number) => void;
  showTab: (tab: Tab) => void;
  openSublayer: (sublayer: string) => void;
  /** Opens a node's panel and its sublayer's graph. */
  selectNode: (key: string) => void;
  selectEdge: (key: string) => void;
  toggleNode: (key: string) => void;
  toggleEdge: (key: string) => void;
  resetEdits: () => void;
  /** Downloads the circuit file as edited (the server writes it). */
  exportEditedCircuit: () => void;
}

/** A copy of `set` with `key` flipped in or out. */
function toggled(set: ReadonlySet<string>, key: string): ReadonlySet<string> {
  const next = new Set(set);
  if (!next.delete(key)) next.add(key);
  return next;
}

export function useViewerState(): ViewerState {
  const [session, setSession] = useState<SessionInfo>();
  const [fatal, setFatal] = useState<string>();
  const [circuitId, setCircuitId] = useState<number>();
  const [circuit, setCircuit] = useState<CircuitView>();
  const [circuitError, setCircuitError] = useState<string>();
  const [tab, setTab] = useState<Tab>("circuit");
  const [sublayer, setSublayer] = useState<string>();
  const [disabledNodes, setDisabledNodes] = useState<ReadonlySet<string>>(new Set());
  const [disabledEdges, setDisabledEdges] = useState<ReadonlySet<string>>(new Set());
  const [selectedNode, setSelectedNode] = useState<string>();
  const [selectedEdge, setSelectedEdge] = useState<string>();
  const urlSublayer = useRef<string | undefined>(undefined);

  useEffect(() => {
    api<SessionInfo>("session").then(
      (s) => {
        setSession(s);
        // A study or trajectory given without circuit files opens on its page.
        if (s.circuits.length === 0 && (s.study || s.trajectory)) setTab(s.study ? "study" : "trajectory");
        setCircuitId(urlCircuit(s.circuits.map((c) => c.id)) ?? initialCircuit(s.circuits));
      },
      (e: Error) => setFatal(e.message),
    );
  }, []);

  // Another circuit starts without edits or selection.
  useEffect(() => {
    if (circuitId === undefined) return;
    setCircuit(undefined);
    setCircuitError(undefined);
    // A link's view (url_state.tsx) is restored once, for the circuit it names.
    const fromUrl = takeUrlView(circuitId, "state");
    urlSublayer.current = fromUrl?.sublayer;
    if (fromUrl?.tab && TABS.includes(fromUrl.tab as Tab)) setTab(fromUrl.tab as Tab);
    setDisabledNodes(new Set(fromUrl?.off));
    setDisabledEdges(new Set(fromUrl?.edgesOff));
    setSelectedNode(fromUrl?.node);
    setSelectedEdge(fromUrl?.edge);
    api<CircuitView>(`circuit/${circuitId}`).then(setCircuit, (e: Error) => setCircuitError(e.message));
  }, [circuitId]);

  const model = session?.model;
  const subs = useMemo(() => (model ? sublayers(model) : []), [model]);
  useEffect(() => {
    if (circuit && subs.length > 0) setSublayer(urlSublayer.current ?? defaultSublayer(circuit, subs));
  }, [circuit, subs]);

  const edits = (): Edits => ({
    circuit: circuitId!,
    disabledNodes: [...disabledNodes],
    disabledEdges: [...disabledEdges],
  });
  const live = useLiveEvaluation({ circuit, disabledNodes, disabledEdges, edits });
  const node = useNodeDetail({ circuit, nodeKey: selectedNode, disabledNodes, disabledEdges, edits });

  return {
    session,
    fatal,
    circuitId,
    circuit,
    circuitError,
    model,
    subs,
    tab,
    sublayer,
    disabledNodes,
    disabledEdges,
    selectedNode,
    selectedEdge,
    live,
    node,
    chooseCircuit: setCircuitId,
    showTab: setTab,
    openSublayer: setSublayer,
    selectNode: (key) => {
      setSelectedEdge(undefined);
      if (key !== selectedNode) node.clear();
      setSelectedNode(key);
      const loc = parseNodeKey(key)!.loc;
      setSublayer(loc === FINAL_RESID ? FINAL_RESID : (sublayerOf(loc) ?? sublayer));
    },
    selectEdge: (key) => {
      setSelectedNode(undefined);
      setSelectedEdge(key);
    },
    toggleNode: (key) => setDisabledNodes(toggled(disabledNodes, key)),
    toggleEdge: (key) => setDisabledEdges(toggled(disabledEdges, key)),
    resetEdits: () => {
      setDisabledNodes(new Set());
      setDisabledEdges(new Set());
    },
    exportEditedCircuit: () => {
      if (!circuit) return;
      api<unknown>("export", edits()).then(
        (json) =>
          download(
            `${baseName(circuit.file)}-edited.json`,
            JSON.stringify(json, null, 2) + "\n",
            "application/json",
          ),
        (e: Error) => live.setError(e.message),
      );
    },
  };
}
