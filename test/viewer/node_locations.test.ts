import { describe, expect, it } from "vitest";
import {
  ATTN_SLOTS,
  MLP_SLOTS,
  isHeadSlot,
  nodeLocations,
  parseLocation,
} from "../../src/viewer/node_locations.js";

describe("viewer node locations", () => {
  it("draws a sublayer's node slots in node order", () => {
    expect(ATTN_SLOTS).toEqual(["act_in", "q", "k", "v", "resid_delta"]);
    expect(MLP_SLOTS).toEqual(["act_in", "post_act", "resid_delta"]);
    expect(nodeLocations(1)).toEqual([
      "0.attn.act_in",
      "0.attn.q",
      "0.attn.k",
      "0.attn.v",
      "0.attn.resid_delta",
      "0.mlp.act_in",
      "0.mlp.post_act",
      "0.mlp.resid_delta",
      "final_resid",
    ]);
  });

  it("parses node locations and refuses other hook points", () => {
    expect(parseLocation("2.attn.k")).toEqual({ kind: "block", layer: 2, sublayer: "attn", slot: "k" });
    expect(parseLocation("final_resid")).toEqual({ kind: "final" });
    for (const loc of ["0.attn.y", "0.resid_mid", "0.mlp.q", "attn.q"])
      expect(parseLocation(loc)).toBeUndefined();
  });

  it("groups q, k and v by head, nothing else", () => {
    expect(ATTN_SLOTS.filter(isHeadSlot)).toEqual(["q", "k", "v"]);
    expect(MLP_SLOTS.filter(isHeadSlot)).toEqual([]);
  });
});
