import { CspError } from "../errors.js";
import type { Model } from "../model/model.js";
import type { EmbeddingChannel } from "./api_types.js";

/**
 * The tokens that write most and least to one residual channel through the token embedding wte[:, ch]
 * (nonzero entries only, as the reference's wte view), with a histogram of the whole column.
 */
export function embeddingChannel(
  model: Model,
  channel: number,
  text: (token: number) => string,
  count = 20,
  bins = 24,
): EmbeddingChannel {
  const { vocab, dModel } = model.dims;
  if (!Number.isInteger(channel) || channel < 0 || channel >= dModel)
    throw new CspError(`residual channel ${channel} is outside [0, ${dModel})`);
  const wte = model.params.get("transformer.wte.weight")!.data;
  const column = Float32Array.from({ length: vocab }, (_, v) => wte[v * dModel + channel]);
  const nonzero = [...column.keys()].filter((v) => column[v] !== 0);
  const desc = [...nonzero].sort((a, b) => column[b] - column[a] || a - b);
  const entry = (token: number) => ({ token, text: text(token), weight: column[token] });
  const top = desc
    .filter((v) => column[v] > 0)
    .slice(0, count)
    .map(entry);
  const bottom = desc
    .filter((v) => column[v] < 0)
    .reverse()
    .slice(0, count)
    .map(entry);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of column) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (lo === hi) hi = lo + 1;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
  const counts = new Array<number>(bins).fill(0);
  for (const v of column) counts[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]++;
  return { channel, nonzero: nonzero.length, top, bottom, edges, counts };
}
