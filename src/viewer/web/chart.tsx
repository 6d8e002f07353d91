import type { CurvePoint } from "../api_types.js";
import { fmtLoss } from "./format.js";

export interface Series {
  name: string;
  colour: string;
  points: CurvePoint[];
}

const W = 520;
const H = 300;
const M = { l: 62, r: 16, t: 16, b: 44 };

function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

/** A log-log chart of loss against circuit size, with optional horizontal reference lines. */
export function LossSizeChart({
  series,
  lines,
  yLabel = "task loss (per sequence)",
}: {
  series: Series[];
  lines: { y: number; label: string; dash: string }[];
  yLabel?: string;
}) {
  const pts = series.flatMap((s) => s.points).filter((p) => p.loss > 0 && p.nodes > 0);
  const ys = [...pts.map((p) => p.loss), ...lines.map((l) => l.y).filter((y) => y > 0)];
  if (pts.length === 0)
    return (
      <p class="muted">No points: this circuit file has no search log and only one circuit was given.</p>
    );
  const x0 = Math.log10(Math.min(...pts.map((p) => p.nodes)) / 1.5);
  const x1 = Math.log10(Math.max(...pts.map((p) => p.nodes)) * 1.5);
  const y0 = Math.log10(Math.min(...ys) / 2);
  const y1 = Math.log10(Math.max(...ys) * 2);
  const sx = (v: number) => M.l + ((Math.log10(v) - x0) / (x1 - x0 || 1)) * (W - M.l - M.r);
  const sy = (v: number) => H - M.b - ((Math.log10(v) - y0) / (y1 - y0 || 1)) * (H - M.t - M.b);
  const xt = logTicks(10 ** x0, 10 ** x1).filter((v) => Math.log10(v) >= x0 && Math.log10(v) <= x1);
  const yt = logTicks(10 ** y0, 10 ** y1).filter((v) => Math.log10(v) >= y0 && Math.log10(v) <= y1);
  return (
    <svg
      class="chart"
      xmlns="http://www.w3.org/2000/svg"
      width={W}
      height={H}
      viewBox={`0 0 ${W} ${H}`}
      font-family="Inter, system-ui, sans-serif"
    >
      <rect x={0} y={0} width={W} height={H} fill="#fff" />
      {xt.map((v) => (
        <g key={`x${v}`}>
          <line x1={sx(v)} x2={sx(v)} y1={M.t} y2={H - M.b} stroke="#edf2f7" />
          <text x={sx(v)} y={H - M.b + 16} font-size={10} text-anchor="middle" fill="#718096">
            {v}
          </text>
        </g>
      ))}
      {yt.map((v) => (
        <g key={`y${v}`}>
          <line x1={M.l} x2={W - M.r} y1={sy(v)} y2={sy(v)} stroke="#edf2f7" />
          <text x={M.l - 6} y={sy(v) + 3} font-size={10} text-anchor="end" fill="#718096">
            {v}
          </text>
        </g>
      ))}
      <rect x={M.l} y={M.t} width={W - M.l - M.r} height={H - M.t - M.b} fill="none" stroke="#cbd5e0" />
      {lines
        .filter((l) => l.y > 0 && Math.log10(l.y) > y0 && Math.log10(l.y) < y1)
        .map((l) => (
          <g key={l.label}>
            <line
              x1={M.l}
              x2={W - M.r}
              y1={sy(l.y)}
              y2={sy(l.y)}
              stroke="#4a5568"
              stroke-dasharray={l.dash}
            />
            <text x={W - M.r - 4} y={sy(l.y) - 4} font-size={10} text-anchor="end" fill="#4a5568">
              {l.label}
            </text>
          </g>
        ))}
      {series.map((s) => {
        const ps = s.points.filter((p) => p.loss > 0 && p.nodes > 0);
        return (
          <g key={s.name} data-series={s.name}>
            <polyline
              points={ps.map((p) => `${sx(p.nodes)},${sy(p.loss)}`).join(" ")}
              fill="none"
              stroke={s.colour}
              stroke-width={1.6}
            />
            {ps.map((p, i) => (
              <circle key={i} cx={sx(p.nodes)} cy={sy(p.loss)} r={3.5} fill={s.colour}>
                <title>{`${p.file ?? s.name}: ${p.nodes} nodes, loss ${fmtLoss(p.loss)}`}</title>
              </circle>
            ))}
          </g>
        );
      })}
      <text x={(M.l + W - M.r) / 2} y={H - 8} font-size={11} text-anchor="middle" fill="#2d3748">
        circuit size (nodes)
      </text>
      <text
        transform={`translate(14,${(M.t + H - M.b) / 2}) rotate(-90)`}
        font-size={11}
        text-anchor="middle"
        fill="#2d3748"
      >
        {yLabel}
      </text>
    </svg>
  );
}
