import type { GPTConfig, ModelDims } from "./config.js";

/** How a state-dict entry is used: trained parameter, or a fixed buffer. */
export type ParamRole = "param" | "buffer";

export interface ParamSpec {
  name: string;
  shape: number[];
  role: ParamRole;
}

/**
 * Every state-dict entry of the reference model for this config, in the reference's order, with
 * shapes PyTorch-style ([out, in] for linear weights). The state-dict names are the file format.
 */
export function parameterSpecs(config: GPTConfig, d: ModelDims): ParamSpec[] {
  const specs: ParamSpec[] = [];
  const add = (name: string, shape: number[], role: ParamRole = "param") => specs.push({ name, shape, role });
  if (config.enable_bigram_table) {
    add("bigram_table", [d.vocab, d.vocab], config.learnable_bigram_table ? "param" : "buffer");
  }
  add("final_logits_bias", [d.vocab], "buffer");
  add("transformer.wte.weight", [d.vocab, d.dModel]);
  // Sinusoidal cat-pos tables are fixed; a learned table trains (the reference's freeze is a no-op).
  add(
    "transformer.wpe.weight",
    [d.blockSize, d.catPosEmb ? d.dPos : d.dModel],
    config.sinusoidal_cat_pos_emb ? "buffer" : "param",
  );
  for (let i = 0; i < d.nLayer; i++) {
    const p = `transformer.h.${i}`;
    add(`${p}.ln_1.weight`, [d.dModel]);
    if (!config.rms_norm && config.ln_bias) add(`${p}.ln_1.bias`, [d.dModel]);
    if (d.catPosEmb) {
      add(`${p}.ln_p1.weight`, [d.dPos]);
      if (!config.rms_norm && config.ln_bias) add(`${p}.ln_p1.bias`, [d.dPos]);
    }
    add(`${p}.attn.c_attn.weight`, [3 * d.dAttn, d.dModelIn]);
    if (config.bias) add(`${p}.attn.c_attn.bias`, [3 * d.dAttn]);
    add(`${p}.attn.c_proj.weight`, [d.dModel, d.dAttn]);
    if (config.bias) add(`${p}.attn.c_proj.bias`, [d.dModel]);
    if (config.sink) add(`${p}.attn.attn_imp.sink_logit`, [d.nHead]);
    add(`${p}.ln_2.weight`, [d.dModel]);
    if (!config.rms_norm && config.ln_bias) add(`${p}.ln_2.bias`, [d.dModel]);
    if (d.catPosEmb) {
      add(`${p}.ln_p2.weight`, [d.dPos]);
      if (!config.rms_norm && config.ln_bias) add(`${p}.ln_p2.bias`, [d.dPos]);
    }
    add(`${p}.mlp.c_fc.weight`, [d.dMlp, d.dModelIn]);
    if (config.bias) add(`${p}.mlp.c_fc.bias`, [d.dMlp]);
    add(`${p}.mlp.c_proj.weight`, [d.dModel, d.dMlp]);
    if (config.bias) add(`${p}.mlp.c_proj.bias`, [d.dModel]);
  }
  add("transformer.ln_f.weight", [d.dModel]);
  if (!config.rms_norm && config.ln_bias) add("transformer.ln_f.bias", [d.dModel]);
  if (!config.tied_unembed) add("lm_head.weight", [d.vocab, d.dModel]);
  return specs;
}
