import { describe, expect, it } from "vitest";
import { maxDiffBeforeTie } from "../../bench/common/near_tie.js";
import type { DiagnoseResult } from "../../bench/common/specs.js";

const divergence = (position: number, relativeGap: number | null): DiagnoseResult => ({
  sitesCompared: 64,
  divergence: {
    hook: "4.mlp.post_act",
    position,
    positionsAffectedAtThisSite: 3,
    keptSetDiffers: true,
    k: 2048,
    kthAbs: 0.5,
    nextAbs: 0.5,
    relativeGap,
  },
});

describe("max_logit_diff_before_tie", () => {
  const perPosition = [1e-6, 3e-5, 2e-6, 0.02, 5e-3];

  it("leaves out the positions from the first near-tie on", () => {
    expect(maxDiffBeforeTie(perPosition, divergence(3, 2e-7))).toEqual({ value: 3e-5, tiePosition: 3 });
    expect(maxDiffBeforeTie(perPosition, divergence(1, 2e-7))).toEqual({ value: 1e-6, tiePosition: 1 });
  });

  it("counts every position without a diagnosis, or when the divergence is no near-tie", () => {
    expect(maxDiffBeforeTie(perPosition, undefined).value).toBe(0.02);
    expect(maxDiffBeforeTie(perPosition, divergence(3, 0.05)).value).toBe(0.02);
    expect(maxDiffBeforeTie(perPosition, { sitesCompared: 64, divergence: null }).value).toBe(0.02);
  });

  it("is null with a reason when nothing precedes the tie or the diagnosis failed", () => {
    const atZero = maxDiffBeforeTie(perPosition, divergence(0, 1e-8));
    expect(atZero.value).toBeNull();
    expect(atZero.reason).toMatch(/position 0/);
    expect(maxDiffBeforeTie(perPosition, { error: "diagnose.py exited with 1" }).reason).toMatch(
      /exited with 1/,
    );
  });
});
