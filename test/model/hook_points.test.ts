import { describe, expect, it } from "vitest";
import { parseAblations } from "../../src/model/ablate.js";
import { modelDims } from "../../src/model/config.js";
import { forward } from "../../src/model/gpt.js";
import {
  hookPointNames,
  hookPointWidths,
  LAYER_HOOK_POINTS,
  LAYER_NODE_POINTS,
} from "../../src/model/hook_points.js";
import { hookMatcher } from "../../src/model/hooks.js";
import { randomModel, randomTokens, testConfig } from "../helpers/models.js";

// d_model 6, d_pos 2 → Din 8; 2 heads × 2 → D 4; d_mlp 10: the four widths differ.
const config = testConfig({ n_layer: 1, n_head: 2, d_head: 2, d_model: 6, d_mlp: 10, d_pos_emb: 2 });
const dims = modelDims(config);

/** One layer's hook points in the order the reference records them, with this config's widths. */
const FORWARD_ORDER: [string, number][] = [
  ["0.resid_in", 6],
  ["0.attn.act_in", 8],
  ["0.attn.k", 4],
  ["0.attn.q", 4],
  ["0.attn.v", 4],
  ["0.attn.y", 4],
  ["0.attn.resid_delta", 6],
  ["0.resid_mid", 6],
  ["0.mlp.act_in", 8],
  ["0.mlp.post_act", 10],
  ["0.mlp.resid_delta", 6],
  ["final_resid", 6],
];

describe("the hook-point table", () => {
  it("names every hook point in forward order with its width", () => {
    expect(hookPointNames(1)).toEqual(FORWARD_ORDER.map(([name]) => name));
    expect([...hookPointWidths(dims)]).toEqual(FORWARD_ORDER);
    expect(hookPointNames(2)).toHaveLength(2 * 11 + 1);
    expect(hookPointNames(2)[11]).toBe("1.resid_in");
  });

  it("is what the forward records, in that order and at those widths", () => {
    const model = randomModel(config, 3, "f32");
    const [b, t] = [2, 4];
    const { hooks } = forward(model, randomTokens(b * t, config.vocab_size, 5), b, t, {
      record: hookMatcher(".*"),
    });
    expect([...hooks].map(([name, tensor]) => [name, tensor.shape[2]])).toEqual(FORWARD_ORDER);
    for (const tensor of hooks.values()) expect(tensor.shape.slice(0, 2)).toEqual([b, t]);
  });

  it("orders a layer's nodes q, k, v (the circuit-file numbering), unlike the forward's k, q, v", () => {
    expect(LAYER_NODE_POINTS.map((p) => p.site)).toEqual([
      "attn.act_in",
      "attn.q",
      "attn.k",
      "attn.v",
      "attn.resid_delta",
      "mlp.act_in",
      "mlp.post_act",
      "mlp.resid_delta",
    ]);
    const orders = LAYER_HOOK_POINTS.flatMap((p) => ("nodeOrder" in p ? [p.nodeOrder] : []));
    expect([...orders].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("checks ablations against the table's names and widths", () => {
    expect(parseAblations({ "0.mlp.post_act": { channels: [9], values: [0] } }, dims, "a.json").size).toBe(1);
    expect(() =>
      parseAblations({ "0.mlp.post_act": { channels: [10], values: [0] } }, dims, "a.json"),
    ).toThrow(/channel 10 is outside \[0, 10\)/);
    expect(() => parseAblations({ "0.attn.z": { channels: [], values: [] } }, dims, "a.json")).toThrow(
      /not a hook point/,
    );
  });
});
