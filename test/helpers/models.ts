import { parseConfig, modelDims, type GPTConfig } from "../../src/model/config.js";
import { createModel, type Model } from "../../src/model/model.js";
import { parameterSpecs } from "../../src/model/params.js";
import { rng, randn } from "./random.js";

/** A small config for tests; fields override the defaults below. */
export function testConfig(overrides: Partial<GPTConfig> = {}): GPTConfig {
  return parseConfig(
    {
      block_size: 8,
      vocab_size: 11,
      n_layer: 2,
      n_head: 2,
      d_head: 3,
      d_model: 6,
      d_mlp: 10,
      rms_norm: true,
      tied_unembed: false,
      ...overrides,
    },
    "test config",
  ).config;
}

/** A model with dense random weights (every entry nonzero, so top-k has no ties), as float32 or float64. */
export function randomModel<F extends "f32" | "f64">(
  config: GPTConfig,
  seed: number,
  precision: F,
): Model<F extends "f64" ? Float64Array : Float32Array> {
  const r = rng(seed);
  const dims = modelDims(config);
  const tensors = new Map<string, { shape: number[]; data: Float64Array | Float32Array }>();
  for (const spec of parameterSpecs(config, dims)) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const data = precision === "f64" ? new Float64Array(n) : new Float32Array(n);
    const isGain = /ln_\w+\.weight$/.test(spec.name);
    for (let i = 0; i < n; i++) data[i] = isGain ? 1 + 0.2 * randn(r) : 0.4 * randn(r);
    tensors.set(spec.name, { shape: spec.shape, data });
  }
  const zeros = (n: number) => (precision === "f64" ? new Float64Array(n) : new Float32Array(n));
  return createModel(config, tensors as never, "random model", zeros as never) as never;
}

export function randomTokens(n: number, vocab: number, seed: number): Int32Array {
  const r = rng(seed);
  return Int32Array.from({ length: n }, () => Math.floor(r() * vocab));
}
