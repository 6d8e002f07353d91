import { useEffect, useState } from "preact/hooks";
import type { CircuitView, EmbeddingChannel, ModelInfo } from "../api_types.js";
import { FINAL_RESID } from "../node_locations.js";
import { api } from "./api.js";
import { NEGATIVE, POSITIVE } from "./colour.js";
import { fmtNum, showToken } from "./format.js";

/** Residual channels the circuit reads in its first sublayer or at the end, listed first. */
function circuitChannels(c: CircuitView, model: ModelInfo): number[] {
  const set = new Set<number>();
  for (const loc of ["0.attn.act_in", "0.mlp.act_in", FINAL_RESID])
    for (const ch of c.nodes[loc] ?? []) if (ch < model.dModel) set.add(ch);
  return [...set].sort((a, b) => a - b);
}

/** Top and bottom tokens of one residual channel of the token embedding wte[:, ch]. */
export function EmbeddingView({ circuit, model }: { circuit: CircuitView; model: ModelInfo }) {
  const picks = circuitChannels(circuit, model);
  const [channel, setChannel] = useState(picks[0] ?? 0);
  const [data, setData] = useState<EmbeddingChannel>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    setError(undefined);
    api<EmbeddingChannel>(`embedding/${channel}`).then(setData, (e: Error) => setError(e.message));
  }, [channel]);
  const maxCount = Math.max(1, ...(data?.counts ?? [1]));
  return (
    <section class="card">
      <header class="card-head">
        <div>
          <div class="eyebrow">token embedding</div>
          <h3>Residual channel {channel}</h3>
        </div>
        <label class="inline">
          channel{" "}
          <input
            type="number"
            min={0}
            max={model.dModel - 1}
            value={channel}
            onChange={(e) =>
              setChannel(
                Math.max(0, Math.min(model.dModel - 1, Number((e.target as HTMLInputElement).value) || 0)),
              )
            }
          />
        </label>
      </header>
      {picks.length > 0 && (
        <div class="chips pad">
          <span class="muted small">read by the circuit:</span>
          {picks.map((c) => (
            <button key={c} class={`chip${c === channel ? " active" : ""}`} onClick={() => setChannel(c)}>
              {c}
            </button>
          ))}
        </div>
      )}
      {error && <div class="error">{error}</div>}
      {data && (
        <div class="embed-grid">
          {(["top", "bottom"] as const).map((side) => (
            <table key={side} class="tokens">
              <thead>
                <tr>
                  <th colSpan={3}>
                    {side} {data[side].length} tokens by weight
                  </th>
                </tr>
              </thead>
              <tbody>
                {data[side].map((t) => (
                  <tr key={t.token}>
                    <td class="mono tokcell">{showToken(t.text)}</td>
                    <td class="muted small">#{t.token}</td>
                    <td class="num" style={{ color: t.weight >= 0 ? POSITIVE : NEGATIVE }}>
                      {fmtNum(t.weight)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ))}
          <div>
            <h5>
              distribution of wte[:, {channel}]{" "}
              <span class="muted small">
                ({data.nonzero} nonzero of {model.vocab})
              </span>
            </h5>
            <svg width={300} height={140} xmlns="http://www.w3.org/2000/svg">
              {data.counts.map((c, i) => {
                const h = c > 0 ? 6 + (Math.log1p(c) / Math.log1p(maxCount)) * 104 : 0;
                return (
                  <rect
                    key={i}
                    x={i * (300 / data.counts.length)}
                    y={114 - h}
                    width={300 / data.counts.length - 1}
                    height={h}
                    fill="#805ad5"
                    opacity={0.8}
                  >
                    <title>{`${fmtNum(data.edges[i])} … ${fmtNum(data.edges[i + 1])}: ${c}`}</title>
                  </rect>
                );
              })}
              <text x={0} y={132} font-size={10} fill="#718096">
                {fmtNum(data.edges[0])}
              </text>
              <text x={300} y={132} font-size={10} fill="#718096" text-anchor="end">
                {fmtNum(data.edges[data.edges.length - 1])}
              </text>
            </svg>
          </div>
        </div>
      )}
    </section>
  );
}
