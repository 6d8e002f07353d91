import { useEffect, useRef, useState } from "preact/hooks";
import type { CircuitView, Edits, NodeDetail } from "../api_types.js";
import { parseNodeKey } from "../node_locations.js";
import { api } from "./api.js";

export interface NodeDetailOptions {
  circuit?: CircuitView;
  /** The selected node's key (`loc:index`); nothing is fetched without one. */
  nodeKey?: string;
  disabledNodes: ReadonlySet<string>;
  disabledEdges: ReadonlySet<string>;
  /** The edits to send, read when a fetch starts. */
  edits: () => Edits;
}

export interface NodeDetailState {
  detail?: NodeDetail;
  error?: string;
  loading: boolean;
  /** Forgets the detail shown, so another node's panel does not show this one's. */
  clear: () => void;
  /** The last detail fetched per node, for hover cards (mean and top snippet do not depend on edits). */
  known: ReadonlyMap<string, NodeDetail>;
}

/** The selected node's connections and activations, fetched again whenever the edits change. */
export function useNodeDetail({
  circuit,
  nodeKey,
  disabledNodes,
  disabledEdges,
  edits,
}: NodeDetailOptions): NodeDetailState {
  const [detail, setDetail] = useState<NodeDetail>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(false);
  // Only the latest request's answer is shown; an older one arriving late is dropped.
  const latest = useRef(0);
  const known = useRef(new Map<string, NodeDetail>());

  useEffect(() => {
    if (!circuit || !nodeKey) return;
    const k = parseNodeKey(nodeKey)!;
    const seq = ++latest.current;
    setLoading(true);
    setError(undefined);
    api<NodeDetail>("node", { ...edits(), loc: k.loc, index: k.index }).then(
      (d) => {
        known.current.set(nodeKey, d);
        if (seq !== latest.current) return;
        setDetail(d);
        setLoading(false);
      },
      (e: Error) => {
        if (seq !== latest.current) return;
        setError(e.message);
        setLoading(false);
      },
    );
  }, [circuit, nodeKey, disabledNodes, disabledEdges]);

  // Another circuit's details do not describe this one's nodes.
  useEffect(() => known.current.clear(), [circuit]);

  return { detail, error, loading, clear: () => setDetail(undefined), known: known.current };
}
