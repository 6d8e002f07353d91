import type { Model } from "../model/model.js";
import type { WpeView } from "./api_types.js";

/** The reference viewer's limits: the first 256 positions and 512 channels of wpe. */
const MAX_POSITIONS = 256;
const MAX_CHANNELS = 512;

/**
 * The position embedding table: additive (added to the residual stream), concatenated (extra input
 * channels of every sublayer, after the d_model residual ones) or sinusoidal (concatenated and fixed).
 */
export function wpeView(model: Model): WpeView {
  const t = model.params.get("transformer.wpe.weight")!;
  const [positions, channels] = t.shape;
  const data = t.data;
  const shownPositions = Math.min(positions, MAX_POSITIONS);
  const shownChannels = Math.min(channels, MAX_CHANNELS);
  // Four significant digits are plenty for a colour map and keep the response small (≤ 131,072 values).
  const values: number[] = [];
  for (let p = 0; p < shownPositions; p++)
    for (let c = 0; c < shownChannels; c++) values.push(Number(data[p * channels + c].toPrecision(4)));
  const nonzeroPerChannel = new Array<number>(channels).fill(0);
  let maxAbs = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== 0) nonzeroPerChannel[i % channels]++;
    maxAbs = Math.max(maxAbs, Math.abs(data[i]));
  }
  return {
    kind: !model.dims.catPosEmb
      ? "additive"
      : model.config.sinusoidal_cat_pos_emb
        ? "sinusoidal"
        : "concatenated",
    positions,
    channels,
    shownPositions,
    shownChannels,
    values,
    nonzeroPerChannel,
    nonzero: nonzeroPerChannel.reduce((a, b) => a + b, 0),
    maxAbs,
  };
}
