import { describe, expect, it } from "vitest";
import { circuitEdges, residualLinks } from "../../src/circuit/edges.js";
import { nodeLayout } from "../../src/circuit/nodes.js";
import { plantedModel } from "../../src/prune/synthetic.js";
import { randomModel, testConfig } from "../helpers/models.js";
import { flatNode } from "../prune/planted_setup.js";

const keepOf = (layout: ReturnType<typeof nodeLayout>, labels: string[]) => {
  const keep = new Float32Array(layout.total);
  for (const l of labels) keep[flatNode(layout, l)] = 1;
  return keep;
};

describe("circuit edges", () => {
  it("are exactly the planted weights between the planted circuit's nodes", () => {
    const model = plantedModel();
    const layout = nodeLayout(model.dims);
    const keep = keepOf(layout, [
      "0.attn.act_in:0",
      "0.attn.act_in:1",
      "0.attn.k:0",
      "0.attn.v:0",
      "0.attn.resid_delta:4",
      "0.mlp.act_in:4",
      "0.mlp.post_act:0",
      "0.mlp.post_act:1",
      "0.mlp.resid_delta:5",
      "final_resid:5",
    ]);
    expect(circuitEdges(model, layout, keep)).toEqual([
      { src: "0.attn.act_in:0", dst: "0.attn.k:0", weight: 8 },
      { src: "0.attn.act_in:1", dst: "0.attn.v:0", weight: 1 },
      { src: "0.attn.v:0", dst: "0.attn.resid_delta:4", weight: 1 },
      { src: "0.mlp.act_in:4", dst: "0.mlp.post_act:0", weight: 1 },
      { src: "0.mlp.act_in:4", dst: "0.mlp.post_act:1", weight: -1 },
      { src: "0.mlp.post_act:0", dst: "0.mlp.resid_delta:5", weight: 1 },
      { src: "0.mlp.post_act:1", dst: "0.mlp.resid_delta:5", weight: -1 },
    ]);
    expect(residualLinks(layout, keep)).toEqual([
      { src: "0.attn.resid_delta:4", dst: "0.mlp.act_in:4" },
      { src: "0.mlp.resid_delta:5", dst: "final_resid:5" },
    ]);
  });

  it("read q/k/v rows of c_attn, the v channel as c_proj's column, and positional act_in columns", () => {
    // d_model 6 + d_pos 2 → act_in width 8; 2 heads × 3 → D = 6.
    const model = randomModel(testConfig({ d_pos_emb: 2 }), 1, "f32");
    for (const t of model.params.values()) if (t.shape.length === 2) t.data.fill(0);
    const D = 6;
    const cAttn = model.params.get("transformer.h.1.attn.c_attn.weight")!.data; // [18, 8]
    cAttn[(0 + 2) * 8 + 7] = 0.5; // q2 ← act_in 7 (a positional channel)
    cAttn[(D + 2) * 8 + 7] = -0.25; // k2 ← act_in 7
    cAttn[(2 * D + 4) * 8 + 3] = 2; // v4 ← act_in 3
    cAttn[(2 * D + 4) * 8 + 5] = 3; // v4 ← act_in 5 (not kept)
    model.params.get("transformer.h.1.attn.c_proj.weight")!.data[1 * D + 4] = 1.5; // resid_delta 1 ← v4
    model.params.get("transformer.h.0.mlp.c_fc.weight")!.data[9 * 8 + 6] = 0.75; // post_act 9 ← act_in 6
    model.params.get("transformer.h.0.mlp.c_proj.weight")!.data[0 * 10 + 9] = -2; // resid_delta 0 ← post_act 9
    const layout = nodeLayout(model.dims);
    const keep = keepOf(layout, [
      "1.attn.act_in:7",
      "1.attn.act_in:3",
      "1.attn.q:2",
      "1.attn.k:2",
      "1.attn.v:4",
      "1.attn.resid_delta:1",
      "0.mlp.act_in:6",
      "0.mlp.post_act:9",
      "0.mlp.resid_delta:0",
      "0.mlp.resid_delta:1",
      "1.attn.act_in:0",
      "final_resid:1",
    ]);
    expect(circuitEdges(model, layout, keep)).toEqual([
      { src: "0.mlp.act_in:6", dst: "0.mlp.post_act:9", weight: 0.75 },
      { src: "0.mlp.post_act:9", dst: "0.mlp.resid_delta:0", weight: -2 },
      { src: "1.attn.act_in:7", dst: "1.attn.q:2", weight: 0.5 },
      { src: "1.attn.act_in:7", dst: "1.attn.k:2", weight: -0.25 },
      { src: "1.attn.act_in:3", dst: "1.attn.v:4", weight: 2 },
      { src: "1.attn.v:4", dst: "1.attn.resid_delta:1", weight: 1.5 },
    ]);
    // Residual links: writers to every later reader of the same channel; none into positional channels.
    expect(residualLinks(layout, keep)).toEqual([
      { src: "0.mlp.resid_delta:0", dst: "1.attn.act_in:0" },
      { src: "0.mlp.resid_delta:1", dst: "final_resid:1" },
      { src: "1.attn.resid_delta:1", dst: "final_resid:1" },
    ]);
  });
});
