import type { StepMetrics } from "./metrics.js";

/** A named polyline for the chart. */
export interface Series {
  label: string;
  color: string;
  points: readonly [number, number][];
  /** Draw the line dashed. */
  dashed?: boolean;
  /** Draw the connecting line (default true); false with `markers` makes a scatter. */
  line?: boolean;
  /** Draw a dot at every point. */
  markers?: boolean;
  /** A text beside each point (aligned with `points`). */
  pointLabels?: readonly string[];
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** Log-scale y axis (all values must be > 0; others are dropped). */
  logY?: boolean;
  /** Log-scale x axis (likewise). */
  logX?: boolean;
  /** Base of the log axes (default 10); ticks sit at its whole powers when at least two are in range. */
  logBase?: number;
  /** Fixed x ticks with their own labels (e.g. category names) instead of numeric ones. */
  xTicks?: readonly { value: number; label: string }[];
  /** Fixed x range (linear axes), e.g. [0.5, n + 0.5] for n categories at 1..n. */
  xDomain?: [number, number];
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (x: number) =>
  Number.isInteger(x) && Math.abs(x) < 1e6
    ? String(x)
    : Math.abs(x) >= 1000 || (x !== 0 && Math.abs(x) < 0.01)
      ? x.toExponential(1)
      : String(+x.toPrecision(3));

/** "Nice" tick values covering [lo, hi]: steps of 1, 2 or 5 × 10^n. */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(+v.toPrecision(12));
  return ticks;
}

/**
 * Ticks of a log axis, as exponents of `base` in [lo, hi]: whole exponents (at most ~8) when two fit,
 * else nice values of the narrow range itself.
 */
function logTicks(lo: number, hi: number, base: number): number[] {
  const first = Math.ceil(lo);
  const last = Math.floor(hi);
  if (last - first < 1) return niceTicks(base ** lo, base ** hi).map((v) => Math.log(v) / Math.log(base));
  const stride = Math.ceil((last - first + 1) / 8);
  const ticks: number[] = [];
  for (let e = first; e <= last; e += stride) ticks.push(e);
  return ticks;
}

/** A self-contained SVG line chart (no dependencies, no scripts). */
export function lineChartSvg(series: readonly Series[], o: ChartOptions): string {
  const width = o.width ?? 720;
  const height = o.height ?? 360;
  // The legend sits right of the plot: room for the longest label (about 7 px a character).
  const longest = Math.max(0, ...series.map((s) => s.label.length));
  const m = { left: 64, right: Math.max(150, 44 + 7 * longest), top: 36, bottom: 48 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const base = o.logBase ?? 10;
  const log = (v: number) => Math.log(v) / Math.log(base);
  const tx = (x: number) => (o.logX ? log(x) : x);
  const tf = (y: number) => (o.logY ? log(y) : y);
  const usable = series.map((s) => {
    const keep = s.points.map(
      ([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!o.logY || y > 0) && (!o.logX || x > 0),
    );
    return {
      ...s,
      points: s.points.filter((_, i) => keep[i]),
      pointLabels: s.pointLabels?.filter((_, i) => keep[i]),
    };
  });
  const all = usable.flatMap((s) => s.points);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${m.left + plotW / 2}" y="22" text-anchor="middle" font-size="15">${esc(o.title)}</text>`,
  ];
  if (all.length === 0) {
    parts.push(`<text x="${width / 2}" y="${height / 2}" text-anchor="middle">no data yet</text>`, "</svg>");
    return parts.join("\n");
  }
  let [x0, x1] = [Math.min(...all.map((p) => tx(p[0]))), Math.max(...all.map((p) => tx(p[0])))];
  let [y0, y1] = [Math.min(...all.map((p) => tf(p[1]))), Math.max(...all.map((p) => tf(p[1])))];
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - pad, y1 + pad];
  if (o.xDomain) [x0, x1] = o.xDomain;
  else if (o.logX || o.xTicks) {
    // Points at the very edge of a log or category axis would sit on the frame.
    const padX = (x1 - x0) * 0.05;
    [x0, x1] = [x0 - padX, x1 + padX];
  }
  const sx = (x: number) => m.left + ((tx(x) - x0) / (x1 - x0)) * plotW;
  const sy = (y: number) => m.top + plotH - ((tf(y) - y0) / (y1 - y0)) * plotH;
  parts.push(
    `<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
  );
  const xTicks =
    o.xTicks?.map((t) => ({ at: sx(t.value), label: t.label })) ??
    (o.logX ? logTicks(x0, x1, base) : niceTicks(x0, x1)).map((t) => ({
      at: m.left + ((t - x0) / (x1 - x0)) * plotW,
      label: fmt(o.logX ? base ** t : t),
    }));
  for (const t of xTicks) {
    const x = t.at.toFixed(1);
    parts.push(`<line x1="${x}" y1="${m.top + plotH}" x2="${x}" y2="${m.top + plotH + 4}" stroke="#999"/>`);
    parts.push(`<text x="${x}" y="${m.top + plotH + 17}" text-anchor="middle">${esc(t.label)}</text>`);
  }
  for (const t of o.logY ? logTicks(y0, y1, base) : niceTicks(y0, y1)) {
    const value = o.logY ? base ** t : t;
    const y = (m.top + plotH - ((t - y0) / (y1 - y0)) * plotH).toFixed(1);
    parts.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + plotW}" y2="${y}" stroke="#eee"/>`);
    parts.push(
      `<text x="${m.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${fmt(value)}</text>`,
    );
  }
  parts.push(
    `<text x="${m.left + plotW / 2}" y="${height - 10}" text-anchor="middle">${esc(o.xLabel)}</text>`,
  );
  parts.push(
    `<text transform="translate(16 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`,
  );
  usable.forEach((s, i) => {
    const drawLine = s.line ?? true;
    const dash = s.dashed ? ` stroke-dasharray="6 4"` : "";
    if (drawLine && s.points.length > 0) {
      const d = s.points
        .map(([x, y], j) => `${j === 0 ? "M" : "L"}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
        .join("");
      parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"${dash}/>`);
    }
    s.points.forEach(([x, y], j) => {
      const [px, py] = [sx(x).toFixed(1), sy(y).toFixed(1)];
      if (s.markers) parts.push(`<circle cx="${px}" cy="${py}" r="3.5" fill="${s.color}"/>`);
      const label = s.pointLabels?.[j];
      if (label)
        parts.push(`<text x="${(sx(x) + 6).toFixed(1)}" y="${(sy(y) - 6).toFixed(1)}">${esc(label)}</text>`);
    });
    const ly = m.top + 10 + i * 18;
    const lx = m.left + plotW + 12;
    if (drawLine)
      parts.push(
        `<line x1="${lx}" y1="${ly}" x2="${lx + 20}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`,
      );
    if (s.markers || !drawLine) parts.push(`<circle cx="${lx + 10}" cy="${ly}" r="3.5" fill="${s.color}"/>`);
    parts.push(`<text x="${lx + 26}" y="${ly}" dominant-baseline="middle">${esc(s.label)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}

/** The training curve of a run: train and validation loss against step. */
export function trainingCurveSvg(records: readonly StepMetrics[], title: string): string {
  // Thin the training series so a long run does not produce a megabyte of path data.
  const stride = Math.max(1, Math.ceil(records.length / 2000));
  const train = records
    .filter((_, i) => i % stride === 0 || i === records.length - 1)
    .map((r) => [r.step, r.loss] as [number, number]);
  const val = records
    .filter((r) => r.val_loss !== undefined)
    .map((r) => [r.step, r.val_loss!] as [number, number]);
  return lineChartSvg(
    [
      { label: "train loss", color: "#1f77b4", points: train },
      { label: "validation loss", color: "#d62728", points: val },
    ],
    { title, xLabel: "step", yLabel: "cross-entropy (nats/token)", logY: true },
  );
}
