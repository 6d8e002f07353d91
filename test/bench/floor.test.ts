import { describe, expect, it } from "vitest";
import { inferenceFloor } from "../../bench/floor.js";

const peaks = { gemmGflops: 100, gemm: [], readGBs: 10, threads: 2 };

describe("the inference floor", () => {
  it("counts causal attention and the nonzero products at the GEMM peak, compulsory bytes at the bandwidth", () => {
    // 1 layer, 2 heads × 4, 3 tokens: 6 causal pairs; QKᵀ and PV are 2·4 multiply-adds per pair and head.
    const f = inferenceFloor(
      { nLayer: 1, nHead: 2, dHead: 4, vocab: 10, batch: 1, tokens: 3, linearNonzeros: 100 },
      peaks,
    );
    expect(f.attentionFlop).toBe(2 * 2 * 2 * 4 * 6);
    expect(f.sparseLinearFlop).toBe(2 * 3 * 100);
    expect(f.compulsoryBytes).toBe(8 * 100 + 2 * 4 * 3 * 10);
    expect(f.computeSeconds).toBeCloseTo((192 + 600) / 100e9, 20);
    expect(f.memorySeconds).toBeCloseTo(1040 / 10e9, 20);
    expect(f.floorSeconds).toBe(f.memorySeconds);
  });

  it("at csp_yolo2's shape attention dominates: ≈ 2.2 GFLOP for 1×256 tokens", () => {
    const f = inferenceFloor(
      { nLayer: 8, nHead: 128, dHead: 16, vocab: 2048, batch: 1, tokens: 256, linearNonzeros: 430_000 },
      { ...peaks, gemmGflops: 200, readGBs: 30 },
    );
    expect(f.attentionFlop).toBe(8 * 128 * 4 * 16 * ((256 * 257) / 2));
    expect(f.floorSeconds).toBe(f.computeSeconds);
    expect(f.floorSeconds * 1000).toBeGreaterThan(11);
    expect(f.floorSeconds * 1000).toBeLessThan(12);
  });
});
