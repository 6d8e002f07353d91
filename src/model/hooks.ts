import type { Tensor } from "../tensor/tensor.js";
import { hookPointNames } from "./hook_points.js";

/**
 * An intervention at a hook point: its result replaces the activation downstream (the reference's
 * `interventions` semantics). `forward` may change its input in place and return it: the forward
 * pass hands it a copy whenever it keeps the original (for backward). `backward` maps the gradient
 * w.r.t. the result to the gradient w.r.t. the input, and may do so in place too (the backward pass
 * does not read the gradient it hands over again); interventions without one can be used only when
 * no gradients are requested.
 */
export interface Intervention {
  forward(input: Tensor): Tensor;
  backward?(dOutput: Tensor, input: Tensor): Tensor;
}

/** Every hook point of one forward pass, in the order the reference records them (hook_points.ts). */
export function hookNames(nLayer: number): string[] {
  return hookPointNames(nLayer);
}

/** A hook-name filter with Python `re.match` semantics: the pattern must match at the start. */
export function hookMatcher(pattern: string | RegExp): RegExp {
  const source = typeof pattern === "string" ? pattern : pattern.source;
  return new RegExp(`^(?:${source})`);
}

/**
 * Replaces the listed channels (last dimension) by constants at every batch row and position.
 * The replaced channels pass no gradient back; the others pass it unchanged.
 */
export function channelReplace(channels: readonly number[], values: readonly number[]): Intervention {
  if (channels.length !== values.length) {
    throw new Error(`channelReplace: ${channels.length} channels but ${values.length} values`);
  }
  return {
    forward(input) {
      const out = input.clone();
      const w = input.width;
      for (let r = 0; r < out.size / w; r++) {
        for (let c = 0; c < channels.length; c++) out.data[r * w + channels[c]] = values[c];
      }
      return out;
    },
    backward(dOut) {
      const d = dOut.clone();
      const w = d.width;
      for (let r = 0; r < d.size / w; r++) for (const c of channels) d.data[r * w + c] = 0;
      return d;
    },
  };
}

/** A forward-only intervention from a plain function (steering, experiments). */
export function functionIntervention(fn: (t: Tensor) => Tensor): Intervention {
  return { forward: fn };
}
