import type { StepMetrics } from "./metrics.js";

/** A named polyline for the chart. */
export interface Series {
  label: string;
  color: string;
  points: readonly [number, number][];
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** Log-scale y axis (all values must be > 0; others are dropped). */
  logY?: boolean;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (x: number) =>
  Math.abs(x) >= 1000 || (x !== 0 && Math.abs(x) < 0.01) ? x.toExponential(1) : String(+x.toPrecision(3));

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

/** A self-contained SVG line chart (no dependencies, no scripts). */
export function lineChartSvg(series: readonly Series[], o: ChartOptions): string {
  const width = o.width ?? 720;
  const height = o.height ?? 360;
  const m = { left: 64, right: 150, top: 36, bottom: 48 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const tf = (y: number) => (o.logY ? Math.log10(y) : y);
  const usable = series.map((s) => ({
    ...s,
    points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!o.logY || y > 0)),
  }));
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
  let [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...all.map((p) => tf(p[1]))), Math.max(...all.map((p) => tf(p[1])))];
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - pad, y1 + pad];
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0)) * plotW;
  const sy = (y: number) => m.top + plotH - ((tf(y) - y0) / (y1 - y0)) * plotH;
  parts.push(
    `<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
  );
  for (const t of niceTicks(x0, x1)) {
    const x = sx(t).toFixed(1);
    parts.push(`<line x1="${x}" y1="${m.top + plotH}" x2="${x}" y2="${m.top + plotH + 4}" stroke="#999"/>`);
    parts.push(`<text x="${x}" y="${m.top + plotH + 17}" text-anchor="middle">${fmt(t)}</text>`);
  }
  for (const t of niceTicks(y0, y1)) {
    const value = o.logY ? 10 ** t : t;
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
    if (s.points.length > 0) {
      const d = s.points
        .map(([x, y], j) => `${j === 0 ? "M" : "L"}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
        .join("");
      parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`);
    }
    const ly = m.top + 10 + i * 18;
    parts.push(
      `<line x1="${m.left + plotW + 12}" y1="${ly}" x2="${m.left + plotW + 32}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`,
    );
    parts.push(
      `<text x="${m.left + plotW + 38}" y="${ly}" dominant-baseline="middle">${esc(s.label)}</text>`,
    );
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
