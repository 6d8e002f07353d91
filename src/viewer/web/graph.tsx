import type { Ref } from "preact";
import { useMemo, useState } from "preact/hooks";
import type { CircuitEdge } from "../api_types.js";
import { parseNodeKey } from "../node_locations.js";
import { EdgeCanvas } from "./graph_canvas.js";
import { layoutSublayer, type GraphLayout } from "./graph_layout.js";
import type { EdgeLook } from "./graph_style.js";
import { GraphSvg } from "./graph_svg.js";
import { HoverCard } from "./hover_card.js";
import type { GraphTools } from "./use_graph_tools.js";
import { useZoomPan } from "./zoom_pan.js";

/** Above this many drawn edges a canvas draws them (an SVG path each would freeze the page). */
export const SVG_EDGE_LIMIT = 1500;

/** The sublayer's layout after hiding, and the edges to draw (above the threshold, weakest first). */
export function visibleGraph(t: GraphTools, sublayer: string): { layout: GraphLayout; edges: CircuitEdge[] } {
  const shown = (key: string) => !t.hidden.has(key) && (!t.pinnedOnly || t.pinned.has(key));
  const layout = layoutSublayer(t.circuit, sublayer, t.model, shown);
  const edges = t.circuit.edges
    .filter((e) => Math.abs(e.weight) >= t.threshold && layout.pos.has(e.src) && layout.pos.has(e.dst))
    .sort((a, b) => Math.abs(a.weight) - Math.abs(b.weight));
  return { layout, edges };
}

export interface LayerGraphProps {
  tools: GraphTools;
  sublayer: string;
  svgRef?: Ref<SVGSVGElement>;
}

/**
 * One sublayer's circuit, zoomable and pannable: nodes as SVG, edges as SVG (clickable) or, for big
 * sublayers, on a canvas underneath; hover a node for its card.
 */
export function LayerGraph({ tools: t, sublayer, svgRef }: LayerGraphProps) {
  const { layout, edges } = useMemo(
    () => visibleGraph(t, sublayer),
    [t.circuit, t.model, sublayer, t.hidden, t.pinnedOnly, t.pinnedOnly && t.pinned, t.threshold],
  );
  const onCanvas = edges.length > SVG_EDGE_LIMIT;
  const look: EdgeLook = useMemo(
    () => ({
      maxW: t.maxW,
      disabledNodes: t.disabledNodes,
      disabledEdges: t.disabledEdges,
      selectedEdge: t.selectedEdge,
      pathLinks: t.path?.links,
    }),
    [t.maxW, t.disabledNodes, t.disabledEdges, t.selectedEdge, t.path],
  );
  // The SVG is rebuilt only when what it shows changes (not on hover or pan).
  const svg = useMemo(
    () => (
      <GraphSvg
        layout={layout}
        edges={onCanvas ? [] : edges}
        look={look}
        deltas={t.deltas}
        maxDelta={t.maxDelta}
        notes={t.notes}
        selectedNode={t.selectedNode}
        pinned={t.pinned}
        pathNodes={t.path?.nodes}
        svgRef={svgRef}
      />
    ),
    [layout, edges, onCanvas, look, t.deltas, t.notes, t.selectedNode, t.pinned, t.path],
  );
  const zoom = useZoomPan(layout.width, layout.height, `${t.circuit.id}|${sublayer}`);
  const [hover, setHover] = useState<{ key: string; x: number; y: number }>();
  const { k, x, y } = zoom.view;

  const onClick = (e: MouseEvent) => {
    const target = e.target as Element;
    const node = target.closest("[data-node]")?.getAttribute("data-node");
    const edge = target.closest("[data-edge]")?.getAttribute("data-edge");
    if (node) t.selectNode(node);
    else if (edge) t.selectEdge(edge);
  };
  const onMove = (e: MouseEvent) => {
    const key = (e.target as Element).closest("[data-node]")?.getAttribute("data-node");
    if (!key || !parseNodeKey(key)) {
      if (hover) setHover(undefined);
      return;
    }
    const box = zoom.viewportRef.current!.getBoundingClientRect();
    if (hover?.key !== key) setHover({ key, x: e.clientX - box.left, y: e.clientY - box.top });
  };

  return (
    <div class="graph-frame">
      <div class="zoom-buttons">
        <button
          class="ghost"
          data-action="zoom-in"
          title="zoom in (or ctrl + wheel)"
          onClick={() => zoom.zoomBy(1.4)}
        >
          +
        </button>
        <button class="ghost" data-action="zoom-out" title="zoom out" onClick={() => zoom.zoomBy(1 / 1.4)}>
          −
        </button>
        <button class="ghost" data-action="zoom-fit" title="fit to width" onClick={zoom.fit}>
          fit
        </button>
        <span class="small muted" data-testid="edge-count" data-edges={edges.length}>
          {edges.length} edge{edges.length === 1 ? "" : "s"}
          {onCanvas ? " (drawn as image: raise the threshold to click edges)" : ""}
        </span>
      </div>
      <div
        class="graph-viewport"
        ref={zoom.viewportRef}
        style={{ height: `${zoom.height}px` }}
        onPointerDown={zoom.onPointerDown}
        onWheel={zoom.onWheel}
        onClick={onClick}
        onMouseMove={onMove}
        onMouseLeave={() => setHover(undefined)}
      >
        <div
          class="graph-stage"
          data-zoom={k.toFixed(3)}
          style={{
            width: `${layout.width}px`,
            height: `${layout.height}px`,
            transform: `translate(${x}px, ${y}px) scale(${k})`,
          }}
        >
          {onCanvas && <EdgeCanvas layout={layout} edges={edges} look={look} />}
          {svg}
        </div>
        {hover && <HoverCard tools={t} nodeKey={hover.key} x={hover.x} y={hover.y} />}
      </div>
    </div>
  );
}

/** The endpoints of an edge key, for panels. */
export function edgeEnds(key: string): { src: string; dst: string } | undefined {
  const i = key.indexOf("->");
  if (i < 0) return undefined;
  const src = key.slice(0, i);
  const dst = key.slice(i + 2);
  return parseNodeKey(src) && parseNodeKey(dst) ? { src, dst } : undefined;
}
