import { fmtNum } from "./format.js";

export interface LineSeries {
  name: string;
  colour: string;
  points: { x: number; y: number }[];
  dash?: string;
}

export interface LineChartProps {
  /** Names the chart for tests and exports (`data-chart`). */
  id: string;
  title: string;
  series: LineSeries[];
  xLabel: string;
  yLabel: string;
  logY?: boolean;
  /** Horizontal reference lines (a target loss). */
  lines?: { y: number; label: string }[];
  /** A vertical marker (the snapshot shown). */
  markerX?: number;
  width?: number;
  height?: number;
}

const M = { l: 58, r: 14, t: 24, b: 40 };

/** Round tick values spanning [lo, hi] on a linear axis. */
function linearTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

/**
 * A line chart of series against a linear x (training step), y linear or log; each series is one
 * polyline (`data-points` says how many points it has), with dots when there are few points. Styling is
 * in attributes so a saved SVG looks the same.
 */
export function LineChart(props: LineChartProps) {
  const { series, logY, lines = [], markerX } = props;
  const W = props.width ?? 460;
  const H = props.height ?? 240;
  const tf = (y: number) => (logY ? Math.log10(y) : y);
  const usable = (y: number) => Number.isFinite(y) && (!logY || y > 0);
  const pts = series.flatMap((s) => s.points.filter((p) => usable(p.y) && Number.isFinite(p.x)));
  if (pts.length === 0) return <p class="muted pad">{props.title}: nothing to plot.</p>;
  const ys = [...pts.map((p) => tf(p.y)), ...lines.filter((l) => usable(l.y)).map((l) => tf(l.y))];
  const x0 = Math.min(...pts.map((p) => p.x));
  const x1 = Math.max(...pts.map((p) => p.x));
  let y0 = Math.min(...ys);
  let y1 = Math.max(...ys);
  const pad = (y1 - y0) * 0.06 || Math.abs(y0) * 0.1 || 1;
  y0 -= pad;
  y1 += pad;
  const sx = (x: number) => M.l + ((x - x0) / (x1 - x0 || 1)) * (W - M.l - M.r);
  const sy = (y: number) => H - M.b - ((tf(y) - y0) / (y1 - y0 || 1)) * (H - M.t - M.b);
  const yTicks = logY
    ? linearTicks(Math.ceil(y0), Math.floor(y1), 4)
        .filter(Number.isInteger)
        .map((e) => 10 ** e)
    : linearTicks(y0, y1);
  return (
    <svg
      class="line-chart"
      data-chart={props.id}
      xmlns="http://www.w3.org/2000/svg"
      width={W}
      height={H}
      viewBox={`0 0 ${W} ${H}`}
      font-family="Inter, system-ui, sans-serif"
    >
      <rect x={0} y={0} width={W} height={H} fill="#fff" />
      <text x={M.l} y={15} font-size={12} font-weight={600} fill="#2d3748">
        {props.title}
      </text>
      {linearTicks(x0, x1).map((v) => (
        <g key={`x${v}`}>
          <line x1={sx(v)} x2={sx(v)} y1={M.t} y2={H - M.b} stroke="#edf2f7" />
          <text x={sx(v)} y={H - M.b + 14} font-size={10} text-anchor="middle" fill="#718096">
            {fmtNum(v)}
          </text>
        </g>
      ))}
      {yTicks
        .filter((v) => tf(v) >= y0 && tf(v) <= y1)
        .map((v) => (
          <g key={`y${v}`}>
            <line x1={M.l} x2={W - M.r} y1={sy(v)} y2={sy(v)} stroke="#edf2f7" />
            <text x={M.l - 5} y={sy(v) + 3} font-size={10} text-anchor="end" fill="#718096">
              {fmtNum(v)}
            </text>
          </g>
        ))}
      <rect x={M.l} y={M.t} width={W - M.l - M.r} height={H - M.t - M.b} fill="none" stroke="#cbd5e0" />
      {lines
        .filter((l) => usable(l.y) && tf(l.y) >= y0 && tf(l.y) <= y1)
        .map((l) => (
          <g key={l.label}>
            <line x1={M.l} x2={W - M.r} y1={sy(l.y)} y2={sy(l.y)} stroke="#4a5568" stroke-dasharray="5 4" />
            <text x={W - M.r - 4} y={sy(l.y) - 4} font-size={10} text-anchor="end" fill="#4a5568">
              {l.label}
            </text>
          </g>
        ))}
      {markerX !== undefined && (
        <line
          class="marker"
          x1={sx(markerX)}
          x2={sx(markerX)}
          y1={M.t}
          y2={H - M.b}
          stroke="#dd6b20"
          stroke-width={1.5}
        />
      )}
      {series.map((s) => {
        const ps = s.points.filter((p) => usable(p.y) && Number.isFinite(p.x));
        return (
          <g key={s.name} class="series" data-series={s.name}>
            <polyline
              data-points={ps.length}
              points={ps.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ")}
              fill="none"
              stroke={s.colour}
              stroke-width={1.5}
              stroke-dasharray={s.dash}
            />
            {ps.length <= 60 &&
              ps.map((p, i) => (
                <circle key={i} cx={sx(p.x)} cy={sy(p.y)} r={3} fill={s.colour}>
                  <title>{`${s.name} at ${p.x}: ${fmtNum(p.y, 4)}`}</title>
                </circle>
              ))}
          </g>
        );
      })}
      {series.length > 1 &&
        series.map((s, i) => (
          <g key={`legend-${s.name}`}>
            <line
              x1={W - M.r - 110}
              x2={W - M.r - 94}
              y1={M.t + 10 + i * 14}
              y2={M.t + 10 + i * 14}
              stroke={s.colour}
              stroke-width={2}
              stroke-dasharray={s.dash}
            />
            <text x={W - M.r - 90} y={M.t + 13 + i * 14} font-size={10} fill="#2d3748">
              {s.name}
            </text>
          </g>
        ))}
      <text x={(M.l + W - M.r) / 2} y={H - 6} font-size={11} text-anchor="middle" fill="#2d3748">
        {props.xLabel}
      </text>
      <text
        transform={`translate(13,${(M.t + H - M.b) / 2}) rotate(-90)`}
        font-size={11}
        text-anchor="middle"
        fill="#2d3748"
      >
        {props.yLabel}
      </text>
    </svg>
  );
}
