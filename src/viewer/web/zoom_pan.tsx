import { useEffect, useRef, useState } from "preact/hooks";

const MIN_ZOOM = 0.05;
const MAX_ZOOM = 6;
/** The viewport's height range (px): a wide, flat graph fitted to the width must still be clickable. */
const MIN_HEIGHT = 220;
const MAX_HEIGHT = 560;

export interface View {
  k: number;
  x: number;
  y: number;
}

export interface ZoomPan {
  view: View;
  height: number;
  viewportRef: { current: HTMLDivElement | null };
  zoomBy: (factor: number, at?: { x: number; y: number }) => void;
  fit: () => void;
  /** Pointer handlers for the viewport: drag on the background pans, ctrl/⌘ + wheel zooms. */
  onPointerDown: (e: PointerEvent) => void;
  onWheel: (e: WheelEvent) => void;
}

const clampZoom = (k: number) => Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, k));

/** Zoom and pan of a graph of the given natural size, fitted to the viewport's width when `fitKey` changes. */
export function useZoomPan(width: number, height: number, fitKey: string): ZoomPan {
  const viewportRef = useRef<HTMLDivElement>(null);
  const [view, setView] = useState<View>({ k: 1, x: 0, y: 0 });
  const [vh, setVh] = useState(MIN_HEIGHT);
  const fitted = (): { view: View; height: number } => {
    const vw = viewportRef.current?.clientWidth || width;
    const k = clampZoom(Math.min(1, vw / width));
    const h = Math.max(MIN_HEIGHT, Math.min(MAX_HEIGHT, height * k + 8));
    return {
      view: { k, x: Math.max(0, (vw - width * k) / 2), y: Math.max(0, (h - height * k) / 2) },
      height: h,
    };
  };
  const fit = () => {
    const f = fitted();
    setView(f.view);
    setVh(f.height);
  };
  useEffect(fit, [fitKey]);

  const zoomBy = (factor: number, at?: { x: number; y: number }) =>
    setView((v) => {
      const k = clampZoom(v.k * factor);
      const p = at ?? { x: (viewportRef.current?.clientWidth ?? width) / 2, y: vh / 2 };
      // Keep the point under the cursor (or the centre) where it is.
      return { k, x: p.x - ((p.x - v.x) * k) / v.k, y: p.y - ((p.y - v.y) * k) / v.k };
    });

  const onPointerDown = (e: PointerEvent) => {
    const target = e.target as Element;
    if (e.button !== 0 || target.closest("[data-node],[data-edge]")) return;
    const start = { x: e.clientX, y: e.clientY };
    const from = view;
    const move = (m: PointerEvent) => {
      setView({ ...from, x: from.x + m.clientX - start.x, y: from.y + m.clientY - start.y });
    };
    const up = () => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      viewportRef.current?.classList.remove("panning");
    };
    viewportRef.current?.classList.add("panning");
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  };

  const onWheel = (e: WheelEvent) => {
    if (!e.ctrlKey && !e.metaKey) return;
    e.preventDefault();
    const box = viewportRef.current!.getBoundingClientRect();
    zoomBy(Math.exp(-e.deltaY * 0.002), { x: e.clientX - box.left, y: e.clientY - box.top });
  };

  return { view, height: vh, viewportRef, zoomBy, fit, onPointerDown, onWheel };
}
