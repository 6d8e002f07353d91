import { describe, expect, it } from "vitest";
import { missing, type BenchResults } from "../../bench/common/results.js";
import { renderResultsMarkdown } from "../../bench/report.js";

function results(): BenchResults {
  return {
    schema: 2,
    mode: "full",
    date: "2026-01-01T00:00:00.000Z",
    command: "node dist/bench/run_all.js",
    seconds: 60,
    machine: {
      cpuModel: "Test CPU",
      cores: 2,
      memoryGiB: 8,
      simd: "avx2 fma",
      node: "v20",
      platform: "linux-x64",
      loadAverage1m: 0,
    },
    torchRuntime: null,
    builds: [
      {
        march: "x86-64-v3",
        simd: { avx512f: false, avx2: true, avx: true, fma: true },
        inference: {
          speedup: 12,
          max_logit_diff: 0.02,
          max_logit_diff_before_tie: 2e-5,
          tie_position: 10,
          floor_ms: 20,
          vs_floor: 10.25,
        },
        training: {
          step_speedup_exact: 4,
          step_speedup_fast: 7,
          run_time_ratio: 0.3,
          default_mode: "exact",
          sparse_vs_dense_throughput: 1.3,
          throughput: {
            preset: "zoo-sparse-ef4",
            tokensPerStep: 2048,
            warmup: 1,
            timed: 10,
            runs: {},
            ratio_fast: 2.2,
            default_mode: "exact",
          },
        },
        memory: missing("ratio", "PyTorch unavailable"),
        prune: {
          step_ratio: 6.5,
          ...missing("seconds", "bounded run: 20 of 200 mask steps took 300 s"),
          seconds_estimate: 1200,
          recovered: true,
        },
      },
    ],
  };
}

describe("RESULTS.md: the targets added for every x86 build", () => {
  it("states the near-tie logit bound, the floor, the sparse/dense throughput and pruning, each with its status", () => {
    const md = renderResultsMarkdown(results());
    expect(md).toContain(
      "| inference logits before the first top-k near-tie | max abs diff ≤ 1e-4 | 2.00e-5 (positions 0..9): **met** |",
    );
    expect(md).toContain(
      "| inference against the machine's floor | ≤ 3× the floor | 10.25× (floor 20.00 ms): not met |",
    );
    expect(md).toContain(
      '| training tokens/s, zoo-sparse-ef4 over dense of the same shape (mode "exact") | ≥ 3× | 1.30× (fast: 2.20×): not met |',
    );
    expect(md).toContain(
      "| pruning: one mask-training step | ≥ 5× PyTorch | 6.50× (CPU-time ratio n/a): **met** |",
    );
    expect(md).toContain(
      "| pruning: one run with the defaults, planted circuit | ≤ 600 s, recovered | n/a (bounded run: 20 of 200 mask steps took 300 s); recovered: yes: not measured |",
    );
  });
});
