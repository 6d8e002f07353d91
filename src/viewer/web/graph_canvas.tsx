import { useEffect, useRef } from "preact/hooks";
import type { CircuitEdge } from "../api_types.js";
import { R, type GraphLayout } from "./graph_layout.js";
import { edgeStyle, type EdgeLook, type EdgeStyle } from "./graph_style.js";

export interface EdgeCanvasProps {
  layout: GraphLayout;
  /** Weakest first, so strong edges land on top. */
  edges: readonly CircuitEdge[];
  look: EdgeLook;
}

/**
 * The edges of a big sublayer drawn on one canvas: tens of thousands of SVG paths would freeze the page
 * for a minute, a canvas draws them in tens of milliseconds. These edges are not clickable (raise the
 * threshold until the graph switches back to SVG to click one).
 */
export function EdgeCanvas({ layout, edges, look }: EdgeCanvasProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext("2d");
    if (!canvas || !ctx) return;
    const started = performance.now();
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.lineCap = "round";
    // One path per look (colour, quantised width and opacity, dash): a few strokes instead of one per edge.
    const buckets = new Map<string, { style: EdgeStyle; edges: CircuitEdge[] }>();
    for (const e of edges) {
      const s = edgeStyle(e, look);
      const style = { ...s, width: Math.round(s.width * 4) / 4, opacity: Math.round(s.opacity * 20) / 20 };
      const key = `${style.stroke}|${style.width}|${style.opacity}|${style.dash ?? ""}`;
      const b = buckets.get(key) ?? { style, edges: [] };
      b.edges.push(e);
      buckets.set(key, b);
    }
    // Faint looks first, so strong edges land on top.
    for (const { style, edges: list } of [...buckets.values()].sort(
      (a, b) => a.style.opacity - b.style.opacity,
    )) {
      ctx.globalAlpha = style.opacity;
      ctx.strokeStyle = style.stroke;
      ctx.lineWidth = style.width;
      ctx.setLineDash(style.dash ? [4, 3] : []);
      ctx.beginPath();
      for (const e of list) {
        const a = layout.pos.get(e.src)!;
        const b = layout.pos.get(e.dst)!;
        const midY = (a.y + b.y) / 2;
        ctx.moveTo(a.x, a.y + R);
        ctx.bezierCurveTo(a.x, midY, b.x, midY, b.x, b.y - R);
      }
      ctx.stroke();
    }
    canvas.dataset.drawnAt = performance.now().toFixed(0);
    canvas.dataset.drawMillis = (performance.now() - started).toFixed(0);
    canvas.dataset.edges = String(edges.length);
  }, [layout, edges, look]);
  return <canvas ref={ref} class="edge-canvas" width={layout.width} height={layout.height} />;
}
