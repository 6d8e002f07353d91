import type { GPTConfig } from "../model/config.js";
import { modelDims } from "../model/config.js";
import type { Model } from "../model/model.js";
import { parameterSpecs, type ParamSpec } from "../model/params.js";
import { Tensor, sizeOf } from "../tensor/tensor.js";
import { Rng } from "../random/rng.js";

/**
 * Fresh weights for a config, as GPT.__init__ followed by train.py's overrides draws them (spec A.3):
 * - linear and embedding weights N(0, 0.02); every `*c_proj.weight` N(0, 0.02/√(2·n_layer));
 * - biases 0, norm gains 1, sink logits 0, final_logits_bias 0;
 * - additive wpe := 0 (train.py zeroes it; it still trains, because the reference's freeze is a no-op);
 * - a learned *concatenated* wpe keeps its N(0, 0.02) draw: train.py never builds cat-pos models,
 *   and a zero table would enter its own RMSNorm (ln_p1/ln_p2) as an all-zero vector, whose
 *   normalisation gain is 1/√eps ≈ 2900, so the first updates would be wild;
 * - a sinusoidal cat-pos table is the fixed sinusoid of gpt.py;
 * - bigram_table := U[0, 1)·0.02 (train.py overrides the zero init, learnable or not).
 * Draws are made in the reference's state-dict order from one stream, so a seed fixes every weight.
 * The numbers differ from torch's (another generator); the distribution is the same.
 */
export function initParams(config: GPTConfig, seed: number): Map<string, Tensor<Float32Array>> {
  const dims = modelDims(config);
  const specs = parameterSpecs(config, dims);
  const rng = new Rng(seed);
  const projStd = 0.02 / Math.sqrt(2 * config.n_layer);
  const params = new Map<string, Tensor<Float32Array>>();
  for (const spec of specs) {
    const data = new Float32Array(sizeOf(spec.shape));
    fillParam(spec, data, config, rng, projStd);
    params.set(spec.name, new Tensor(data, spec.shape));
  }
  return params;
}

function fillParam(spec: ParamSpec, data: Float32Array, config: GPTConfig, rng: Rng, projStd: number): void {
  const name = spec.name;
  if (name === "bigram_table") {
    for (let i = 0; i < data.length; i++) data[i] = rng.uniform() * 0.02;
  } else if (name === "transformer.wpe.weight") {
    if (config.d_pos_emb === null) return; // additive: zero
    if (config.sinusoidal_cat_pos_emb) sinusoidalTable(config.block_size, config.d_pos_emb, data);
    else fillNormal(data, rng, 0.02);
  } else if (name.endsWith("c_proj.weight")) {
    fillNormal(data, rng, projStd);
  } else if (name.endsWith(".weight") && spec.shape.length === 2) {
    fillNormal(data, rng, 0.02);
  } else if (/(ln_\w+|ln_f)\.weight$/.test(name)) {
    data.fill(1);
  }
  // Everything else (biases, sink logits, final_logits_bias) stays 0.
}

function fillNormal(data: Float32Array, rng: Rng, std: number): void {
  for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
}

/**
 * gpt.py's fixed positional table for sinusoidal cat-pos models: periods log-spaced from 4 to
 * block_size over d/2 frequencies, [sin | cos], zero-padded (odd d) to width d. out: [block_size, d].
 */
export function sinusoidalTable(blockSize: number, d: number, out: Float32Array): void {
  const half = Math.max(1, Math.floor(d / 2));
  const pMin = 4;
  const pMax = Math.max(pMin, blockSize);
  const logMin = Math.log10(pMin);
  const logMax = Math.log10(pMax);
  const freqs = new Float64Array(half);
  for (let j = 0; j < half; j++) {
    const exponent = half === 1 ? logMin : logMin + ((logMax - logMin) * j) / (half - 1);
    freqs[j] = (2 * Math.PI) / 10 ** exponent;
  }
  out.fill(0);
  for (let pos = 0; pos < blockSize; pos++) {
    for (let j = 0; j < half; j++) {
      const angle = pos * freqs[j];
      if (j < d) out[pos * d + j] = Math.sin(angle);
      if (half + j < d) out[pos * d + half + j] = Math.cos(angle);
    }
  }
}

/** A freshly initialised model. */
export function initModel(config: GPTConfig, seed: number): Model {
  const dims = modelDims(config);
  return { config, dims, specs: parameterSpecs(config, dims), params: initParams(config, seed) };
}
