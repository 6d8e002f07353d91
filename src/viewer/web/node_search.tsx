import { useMemo, useState } from "preact/hooks";
import { nodeKey } from "../node_locations.js";
import type { GraphTools } from "./use_graph_tools.js";

const MAX_MATCHES = 8;

/** Circuit nodes whose key (`0.attn.q:5`) or label contains the query (case-insensitive), exact key first. */
export function searchNodes(t: GraphTools, query: string): string[] {
  const q = query.trim().toLowerCase();
  if (q === "") return [];
  const out: string[] = [];
  for (const [loc, list] of Object.entries(t.circuit.nodes))
    for (const i of list) {
      const key = nodeKey(loc, i);
      const label = t.notes[key]?.label?.toLowerCase() ?? "";
      if (key === q) out.unshift(key);
      else if (key.includes(q) || label.includes(q)) out.push(key);
    }
  return out.slice(0, MAX_MATCHES);
}

/** A search box for nodes, by `site:index` or label; Enter opens the first match. */
export function NodeSearch({ tools: t }: { tools: GraphTools }) {
  const [query, setQuery] = useState("");
  const matches = useMemo(() => searchNodes(t, query), [t.circuit, t.notes, query]);
  const open = (key: string) => {
    t.selectNode(key);
    setQuery("");
  };
  return (
    <div class="node-search">
      <input
        type="search"
        placeholder="find node: 0.mlp.post_act:3 or label"
        value={query}
        data-action="node-search"
        onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && matches.length > 0) open(matches[0]);
          if (e.key === "Escape") setQuery("");
        }}
      />
      {query.trim() !== "" && (
        <div class="search-results">
          {matches.length === 0 ? (
            <span class="muted small">no circuit node matches</span>
          ) : (
            matches.map((k) => (
              <button key={k} class="chip" data-node={k} onClick={() => open(k)}>
                {k}
                {t.notes[k]?.label && <span class="w">{t.notes[k].label}</span>}
              </button>
            ))
          )}
        </div>
      )}
    </div>
  );
}
