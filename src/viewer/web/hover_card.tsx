import type { Snippet } from "../api_types.js";
import { fmtLoss, fmtNum } from "./format.js";
import { snippetScale, TokenHeatmap } from "./heatmap.js";
import type { GraphTools } from "./use_graph_tools.js";

/** The snippet at the node's highest activations (top of the smallest quantile), when one was fetched. */
function topSnippet(t: GraphTools, key: string): Snippet | undefined {
  const q = t.known.get(key)?.pretraining?.[0];
  return q?.top[0];
}

/** A small card by the cursor: the node's label, ablation Δ, mean activation and top pretraining snippet. */
export function HoverCard({
  tools: t,
  nodeKey,
  x,
  y,
}: {
  tools: GraphTools;
  nodeKey: string;
  x: number;
  y: number;
}) {
  const detail = t.known.get(nodeKey);
  const snippet = topSnippet(t, nodeKey);
  const label = t.notes[nodeKey]?.label;
  return (
    <div
      class="hover-card"
      data-testid="hover-card"
      data-node={nodeKey}
      style={{ left: `${x + 14}px`, top: `${y + 14}px` }}
    >
      <div class="mono">{nodeKey}</div>
      {label && <div class="hover-label">{label}</div>}
      <div>
        ablation Δ loss <b data-testid="hover-delta">{fmtLoss(t.deltas.get(nodeKey))}</b>
      </div>
      <div>
        mean activation <b>{detail ? fmtNum(detail.mean) : "–"}</b>
      </div>
      {t.disabledNodes.has(nodeKey) && <div class="warn">switched off</div>}
      {snippet ? (
        <TokenHeatmap snippet={snippet} scale={snippetScale([[snippet]])} />
      ) : (
        <div class="muted small">
          {detail ? "no pretraining snippets" : "click to load activations and snippets"}
        </div>
      )}
    </div>
  );
}
