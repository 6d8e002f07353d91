import { useState } from "preact/hooks";
import { fmtNum } from "./format.js";

const W = 300;
const H = 140;
const BASE = 114;
const TALL = 104;

/**
 * A histogram from bin edges and counts, with a log-scale option for the counts (the reference plots
 * embedding columns with a log y axis: a sparse column is mostly one bin of zeros).
 */
export function Histogram({ edges, counts, title }: { edges: number[]; counts: number[]; title: string }) {
  const [log, setLog] = useState(true);
  const max = Math.max(1, ...counts);
  const height = (c: number) =>
    c <= 0 ? 0 : log ? 4 + (Math.log10(c) / Math.log10(Math.max(10, max))) * (TALL - 4) : (c / max) * TALL;
  return (
    <div class="histogram">
      <div class="histogram-head">
        <h5>{title}</h5>
        <label class="small">
          <input
            type="checkbox"
            data-action="log-scale"
            checked={log}
            onChange={(e) => setLog((e.target as HTMLInputElement).checked)}
          />{" "}
          log count
        </label>
      </div>
      <svg width={W} height={H} xmlns="http://www.w3.org/2000/svg" data-scale={log ? "log" : "linear"}>
        {counts.map((c, i) => {
          const h = height(c);
          return (
            <rect
              key={i}
              class="bar"
              data-count={c}
              x={i * (W / counts.length)}
              y={BASE - h}
              width={W / counts.length - 1}
              height={h}
              fill="#805ad5"
              opacity={0.8}
            >
              <title>{`${fmtNum(edges[i])} … ${fmtNum(edges[i + 1])}: ${c}`}</title>
            </rect>
          );
        })}
        <text x={0} y={132} font-size={10} fill="#718096">
          {fmtNum(edges[0])}
        </text>
        <text x={W} y={132} font-size={10} fill="#718096" text-anchor="end">
          {fmtNum(edges[edges.length - 1])}
        </text>
      </svg>
    </div>
  );
}
