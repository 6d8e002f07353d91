import { fmtNum } from "./format.js";
import { exportPinnedJson, exportPinnedSvg } from "./graph_export.js";
import { NodeSearch } from "./node_search.js";
import type { GraphTools } from "./use_graph_tools.js";

/** Slider steps; the threshold grows with the square of the position (fine control near 0). */
const STEPS = 1000;
const toThreshold = (pos: number, maxW: number) => maxW * (pos / STEPS) ** 2;
const toPosition = (threshold: number, maxW: number) =>
  maxW > 0 ? Math.round(Math.sqrt(Math.min(1, threshold / maxW)) * STEPS) : 0;

/** The tools above the layer graph: search, edge threshold, hidden and pinned nodes, subgraph exports. */
export function GraphToolbar({ tools: t }: { tools: GraphTools }) {
  return (
    <div class="graph-toolbar">
      <NodeSearch tools={t} />
      <label class="threshold small">
        |w| ≥ <b data-testid="threshold-value">{fmtNum(t.threshold)}</b>
        <input
          type="range"
          min={0}
          max={STEPS}
          value={toPosition(t.threshold, t.maxW)}
          data-action="threshold"
          onInput={(e) => t.setThreshold(toThreshold(Number((e.target as HTMLInputElement).value), t.maxW))}
        />
      </label>
      <span class="small muted">
        {t.hidden.size > 0 && <span data-testid="hidden-count">{t.hidden.size} hidden · </span>}
        <span data-testid="pinned-count">{t.pinned.size} pinned</span>
      </span>
      {(t.hidden.size > 0 || t.pinnedOnly) && (
        <button class="ghost" data-action="show-all" onClick={t.showAll}>
          Show all
        </button>
      )}
      <label class="small inline">
        <input
          type="checkbox"
          checked={t.pinnedOnly}
          disabled={t.pinned.size === 0}
          data-action="pinned-only"
          onChange={(e) => t.setPinnedOnly((e.target as HTMLInputElement).checked)}
        />{" "}
        pinned only
      </label>
      <button
        class="ghost"
        disabled={t.pinned.size === 0}
        data-action="export-pinned-svg"
        onClick={() => exportPinnedSvg(t)}
      >
        Pinned SVG
      </button>
      <button
        class="ghost"
        disabled={t.pinned.size === 0}
        data-action="export-pinned-json"
        onClick={() => exportPinnedJson(t)}
      >
        Pinned JSON
      </button>
      {t.path && (
        <button class="ghost" data-action="clear-path" onClick={() => t.setPathFrom(undefined)}>
          Clear path ({t.path.nodes.size} nodes)
        </button>
      )}
    </div>
  );
}
