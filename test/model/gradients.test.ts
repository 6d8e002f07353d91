import { beforeAll, describe, expect, it } from "vitest";
import { setBackend } from "../../src/backend/index.js";
import type { GPTConfig } from "../../src/model/config.js";
import { backward, forward } from "../../src/model/gpt.js";
import { channelReplace, hookMatcher } from "../../src/model/hooks.js";
import { expectClose, finiteDiff, sampleCoords } from "../helpers/random.js";
import { randomModel, randomTokens, testConfig } from "../helpers/models.js";

/**
 * Whole-model gradients against central finite differences in float64, on configurations the parity
 * fixtures do not cover (concatenated positions, LayerNorm, ReLU residual, tied unembedding, ...).
 */
const VARIANTS: Record<string, Partial<GPTConfig>> = {
  "sink + AbsTopK everywhere + learnable bigram": {
    sink: true,
    afrac: 0.5,
    afrac_loctypes: "attn_in,attn_out,mlp_in,mlp_out,mlp_neuron,attn_v,attn_k,attn_q",
    enable_bigram_table: true,
    learnable_bigram_table: true,
  },
  "concatenated positions + LayerNorm + ReLU residual and MLP": {
    d_pos_emb: 4,
    rms_norm: false,
    residual_activation_type: "relu",
    activation_type: "relu",
    afrac: 0.5,
    afrac_loctypes: "resid_post_attn,resid_post_mlp,attn_in",
    enable_bigram_table: true,
  },
  "tied unembedding, no biases, d_head independent of d_model": {
    tied_unembed: true,
    bias: false,
    n_head: 3,
    d_head: 4,
  },
  "concatenated positions with RMSNorm and sink": {
    d_pos_emb: 2,
    sink: true,
    afrac: 0.75,
  },
};

describe("model gradients match finite differences (float64, ts backend)", () => {
  beforeAll(() => setBackend("ts"));
  for (const [name, overrides] of Object.entries(VARIANTS)) {
    it(name, () => {
      const config = testConfig(overrides);
      const model = randomModel(config, 7, "f64");
      const [b, t] = [2, 5];
      const ids = randomTokens(b * t, config.vocab_size, 3);
      const targets = randomTokens(b * t, config.vocab_size, 4);
      targets[3] = -1;
      const loss = () => forward(model, ids, b, t, { targets }).loss!;
      const fwd = forward(model, ids, b, t, { targets, keepCache: true });
      const { grads } = backward(model, fwd);
      expect(grads.size).toBeGreaterThan(10);
      let checked = 0;
      for (const [param, g] of grads) {
        const x = model.params.get(param)!.data;
        const coords = sampleCoords(x.length, 4, param.length);
        const fd = finiteDiff(loss, x, coords);
        coords.forEach((c, i) => expectClose(g.data[c], fd[i], `${param}[${c}]`, 1e-4, 1e-8));
        checked += coords.length;
      }
      expect(checked).toBeGreaterThan(40);
    });
  }
});

describe("hooks", () => {
  beforeAll(() => setBackend("ts"));
  const config = testConfig({ afrac: 0.5, sink: true });
  const [b, t] = [1, 4];
  const ids = randomTokens(b * t, config.vocab_size, 1);
  const targets = randomTokens(b * t, config.vocab_size, 2);

  it("records by regex anchored at the start, as re.match", () => {
    const model = randomModel(config, 1, "f32");
    const fwd = forward(model, ids, b, t, { record: hookMatcher("1\\.attn\\.(q|k)") });
    expect([...fwd.hooks.keys()]).toEqual(["1.attn.k", "1.attn.q"]);
    const none = forward(model, ids, b, t, { record: hookMatcher("attn") });
    expect(none.hooks.size).toBe(0);
  });

  it("an intervention replaces the activation downstream", () => {
    const config = testConfig({ sink: true });
    const model = randomModel(config, 1, "f32");
    const clean = forward(model, ids, b, t, { record: hookMatcher(".*") });
    const zeroAll = new Map([
      ["0.mlp.post_act", channelReplace([...Array(config.d_mlp!).keys()], Array(config.d_mlp!).fill(0))],
    ]);
    const ablated = forward(model, ids, b, t, { record: hookMatcher(".*"), interventions: zeroAll });
    expect(Array.from(ablated.hooks.get("0.mlp.post_act")!.data).every((v) => v === 0)).toBe(true);
    // With every neuron zeroed, the MLP writes only its output bias.
    const bias = model.params.get("transformer.h.0.mlp.c_proj.bias")!.data;
    const delta = ablated.hooks.get("0.mlp.resid_delta")!.data;
    for (let i = 0; i < delta.length; i++) expect(delta[i]).toBeCloseTo(bias[i % config.d_model], 6);
    // Upstream activations are unchanged, downstream ones differ.
    expect(ablated.hooks.get("0.attn.y")!.data).toEqual(clean.hooks.get("0.attn.y")!.data);
    expect(ablated.hooks.get("final_resid")!.data).not.toEqual(clean.hooks.get("final_resid")!.data);
  });

  it("gradients at hook points equal finite differences w.r.t. an additive perturbation there", () => {
    const model = randomModel(config, 5, "f64");
    const fwd = forward(model, ids, b, t, {
      targets,
      keepCache: true,
      record: hookMatcher("0\\.attn\\.y|final_resid"),
      saveHookGrads: true,
    });
    const { hookGrads } = backward(model, fwd);
    expect([...hookGrads.keys()].sort()).toEqual(["0.attn.y", "final_resid"]);
    for (const name of ["0.attn.y", "final_resid"]) {
      const g = hookGrads.get(name)!;
      const delta = new Float64Array(g.size);
      const shift = new Map([
        [
          name,
          {
            forward: (x: typeof g) => {
              const o = x.clone();
              for (let i = 0; i < o.size; i++) o.data[i] += delta[i];
              return o;
            },
          },
        ],
      ]);
      const loss = () => forward(model, ids, b, t, { targets, interventions: shift }).loss!;
      const coords = sampleCoords(g.size, 6, 9);
      const fd = finiteDiff(loss, delta, coords);
      coords.forEach((c, i) => expectClose(g.data[c], fd[i], `${name}[${c}]`, 1e-4, 1e-8));
    }
  });

  it("gradients pass through a channel replacement as zero on the replaced channels", () => {
    const model = randomModel(config, 5, "f64");
    const interventions = new Map([["0.attn.v", channelReplace([0, 2], [0.5, -0.5])]]);
    const fwd = forward(model, ids, b, t, { targets, interventions, keepCache: true });
    const { grads } = backward(model, fwd);
    // v channels 0 and 2 are rows 2D+0 and 2D+2 of c_attn: no gradient reaches them.
    const D = config.n_head * config.d_head!;
    const g = grads.get("transformer.h.0.attn.c_attn.weight")!.data;
    const dIn = config.d_model;
    for (const ch of [0, 2]) for (let j = 0; j < dIn; j++) expect(g[(2 * D + ch) * dIn + j]).toBe(0);
    const loss = () => forward(model, ids, b, t, { targets, interventions }).loss!;
    const x = model.params.get("transformer.h.0.attn.c_attn.weight")!.data;
    const coords = sampleCoords(x.length, 8, 3);
    const fd = finiteDiff(loss, x, coords);
    coords.forEach((c, i) => expectClose(g[c], fd[i], `c_attn[${c}]`, 1e-4, 1e-8));
  });
});
