import { useEffect, useState } from "preact/hooks";
import type { CircuitView, EmbeddingChannel, ModelInfo } from "../api_types.js";
import { FINAL_RESID } from "../node_locations.js";
import { api } from "./api.js";
import { NEGATIVE, POSITIVE } from "./colour.js";
import { ChannelCountsStrip } from "./channel_counts_view.js";
import { fmtNum, showToken } from "./format.js";
import { Histogram } from "./histogram.js";

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
      <ChannelCountsStrip channel={channel} onChannel={setChannel} />
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
          <Histogram
            edges={data.edges}
            counts={data.counts}
            title={`distribution of wte[:, ${channel}] (${data.nonzero} nonzero of ${model.vocab})`}
          />
        </div>
      )}
    </section>
  );
}
