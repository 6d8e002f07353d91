import { useEffect, useState } from "preact/hooks";
import type { ChannelCounts } from "../api_types.js";
import { api } from "./api.js";

const ROWS: { key: keyof ChannelCounts; label: string }[] = [
  { key: "wte", label: "tokens (wte)" },
  { key: "wpe", label: "positions (wpe)" },
  { key: "readers", label: "read by (weights)" },
  { key: "writers", label: "written by (weights)" },
  { key: "unembed", label: "unembedding" },
];

/**
 * Nonzero counts per residual channel: a bar per channel of the tokens embedded into it (click to open
 * the channel), and the selected channel's tokens, positions, reading and writing weights.
 */
export function ChannelCountsStrip({
  channel,
  onChannel,
}: {
  channel: number;
  onChannel: (c: number) => void;
}) {
  const [counts, setCounts] = useState<ChannelCounts>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    api<ChannelCounts>("channels").then(setCounts, (e: Error) => setError(e.message));
  }, []);
  if (error) return <div class="error">{error}</div>;
  if (!counts) return null;
  const n = counts.wte.length;
  const max = Math.max(1, ...counts.wte);
  const bw = Math.max(2, Math.min(12, 760 / n));
  return (
    <div class="channel-counts pad">
      <div class="muted small">nonzero tokens per residual channel (click a bar)</div>
      <svg width={bw * n} height={44} xmlns="http://www.w3.org/2000/svg" class="channel-strip">
        {counts.wte.map((c, i) => {
          const h = c > 0 ? 2 + (c / max) * 38 : 0;
          return (
            <rect
              key={i}
              data-channel={i}
              data-count={c}
              x={i * bw}
              y={42 - h}
              width={bw - (bw > 3 ? 1 : 0)}
              height={Math.max(h, 1)}
              fill={i === channel ? "#dd6b20" : c > 0 ? "#805ad5" : "#e2e8f0"}
              cursor="pointer"
              onClick={() => onChannel(i)}
            >
              <title>{`channel ${i}: ${c} tokens, read by ${counts.readers[i]}, written by ${counts.writers[i]} weights`}</title>
            </rect>
          );
        })}
      </svg>
      <table class="channel-table small" data-channel={channel}>
        <tbody>
          <tr>
            {ROWS.filter((r) => counts[r.key]).map((r) => (
              <td key={r.key} data-count={r.key}>
                <span class="muted">{r.label}</span> <b>{counts[r.key]![channel]}</b>
              </td>
            ))}
          </tr>
        </tbody>
      </table>
    </div>
  );
}
