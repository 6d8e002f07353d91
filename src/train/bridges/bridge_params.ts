import { bridgeParamName, bridgeSpecs, type BridgeSite } from "../../model/bridges_file.js";
import { Rng, mixSeed } from "../../random/index.js";
import { Tensor, allocLike, type FloatArray } from "../../tensor/tensor.js";
import type { BridgeWeights } from "./bridge_layers.js";

/** Seed tag of the bridges' initialisation stream (mixSeed(seed, tag)): the model's init uses the seed itself. */
const BRIDGE_INIT_TAG = 0xb41d6e;

/**
 * Fresh bridges between an nLayer sparse model of width dS and a dense one of width dD: weights
 * N(0, 1/in_features) (variance-preserving, so f and g start at the residuals' scale), biases 0.
 */
export function initBridges(
  nLayer: number,
  dS: number,
  dD: number,
  seed: number,
): Map<string, Tensor<Float32Array>> {
  const rng = new Rng(mixSeed(seed, BRIDGE_INIT_TAG));
  const params = new Map<string, Tensor<Float32Array>>();
  for (const spec of bridgeSpecs(nLayer, dS, dD)) {
    const data = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
    if (spec.shape.length === 2) {
      const std = 1 / Math.sqrt(spec.shape[1]);
      for (let i = 0; i < data.length; i++) data[i] = std * rng.normal();
    }
    params.set(spec.name, new Tensor(data, spec.shape));
  }
  return params;
}

/** One bridge's arrays, with its gradient arrays in `grads` (created zeroed on first use). */
export function bridgeWeights(
  params: Map<string, Tensor>,
  site: BridgeSite,
  part: "encoder" | "decoder",
  grads: Map<string, FloatArray>,
): BridgeWeights {
  const w = bridgeParamName(site, part, "weight");
  const b = bridgeParamName(site, part, "bias");
  const gradOf = (name: string) => {
    let g = grads.get(name);
    if (!g) grads.set(name, (g = allocLike(params.get(name)!.data, params.get(name)!.size)));
    return g;
  };
  return { w: params.get(w)!.data, b: params.get(b)!.data, dw: gradOf(w), db: gradOf(b) };
}
