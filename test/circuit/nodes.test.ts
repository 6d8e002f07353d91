import { describe, expect, it } from "vitest";
import { modelDims, parseConfig } from "../../src/model/config.js";
import { keptBySite, nodeLabel, nodeLayout, nodeSitePattern, siteOf } from "../../src/circuit/nodes.js";

const dims = (fields: Record<string, unknown>) =>
  modelDims(parseConfig({ vocab_size: 10, block_size: 8, rms_norm: true, ...fields }, "test").config);

describe("node layout", () => {
  it("has 2·Din + 3D + 2·d_model + d_mlp nodes per layer plus d_model for final_resid (spec E.1)", () => {
    // d_model 6, d_pos 2 → Din 8; 2 heads × 4 → D 8; d_mlp 10: 16 + 24 + 12 + 10 = 62 per layer.
    const layout = nodeLayout(
      dims({ n_layer: 3, d_model: 6, n_head: 2, d_head: 4, d_mlp: 10, d_pos_emb: 2, tied_unembed: false }),
    );
    expect(layout.total).toBe(3 * 62 + 6);
    expect(layout.sites.map((s) => s.name).slice(0, 8)).toEqual([
      "0.attn.act_in",
      "0.attn.q",
      "0.attn.k",
      "0.attn.v",
      "0.attn.resid_delta",
      "0.mlp.act_in",
      "0.mlp.post_act",
      "0.mlp.resid_delta",
    ]);
    expect(layout.sites.map((s) => s.width).slice(0, 8)).toEqual([8, 8, 8, 8, 6, 8, 10, 6]);
    expect(layout.sites.at(-1)).toMatchObject({ name: "final_resid", width: 6, offset: 3 * 62 });
  });

  it("numbers channels consecutively and maps them back to site and index", () => {
    const layout = nodeLayout(dims({ n_layer: 1, d_model: 4, n_head: 1, d_mlp: 3 }));
    // act_in 4, q 4, k 4, v 4, resid_delta 4, mlp.act_in 4, post_act 3, resid_delta 4, final 4.
    expect(layout.total).toBe(35);
    expect(nodeLabel(layout, 0)).toBe("0.attn.act_in:0");
    expect(nodeLabel(layout, 5)).toBe("0.attn.q:1");
    expect(nodeLabel(layout, 26)).toBe("0.mlp.post_act:2");
    expect(nodeLabel(layout, 34)).toBe("final_resid:3");
    expect(siteOf(layout, 27).name).toBe("0.mlp.resid_delta");
    expect(() => siteOf(layout, 35)).toThrow(/outside/);
    const keep = new Uint8Array(35);
    keep[5] = keep[26] = keep[34] = 1;
    expect([...keptBySite(layout, keep)]).toEqual([
      ["0.attn.q", [1]],
      ["0.mlp.post_act", [2]],
      ["final_resid", [3]],
    ]);
  });

  it("records exactly the node sites", () => {
    const pattern = nodeSitePattern(nodeLayout(dims({ n_layer: 2, d_model: 4, n_head: 1 })));
    for (const name of ["0.attn.q", "1.mlp.post_act", "final_resid"]) expect(pattern.test(name)).toBe(true);
    for (const name of ["0.attn.y", "0.resid_in", "1.resid_mid", "10.attn.q", "0.attn.qq"])
      expect(pattern.test(name)).toBe(false);
  });
});
