import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  headlineProblems,
  missing,
  readPreviousResults,
  upgradeResults,
  writeResults,
  type BenchResults,
  type BuildResults,
} from "../../bench/common/results.js";
import { buildsToMeasure } from "../../bench/builds.js";
import { primaryBuild, renderResultsMarkdown } from "../../bench/report.js";
import { runTimeRatio, secondsToLoss, stepsToTargetSparsity } from "../../bench/run_ratio.js";
import type { EvalPoint, TrainRunResult } from "../../bench/common/specs.js";
import { lossEffect } from "../../bench/training.js";

/** One build's sections, as run-all records them. */
function sampleBuild(march = "x86-64-v3"): BuildResults {
  return {
    march,
    simd: { avx512f: march === "native", avx2: true, avx: true, fma: true },
    inference: { speedup: 25, max_logit_diff: 3e-5, max_abs_logit: 7, ours_path: "sparse" },
    training: {
      ...missing("step_speedup_exact", "mode exact does not exist yet"),
      step_speedup_fast: 6,
      run_time_ratio: 0.5,
    },
    memory: {
      ratio: 0.05,
      ours_vs_dense_fp32: 0.1,
      ours_peak_rss_bytes: 1e8,
      torch_peak_rss_bytes: 2e9,
      dense_fp32_bytes: 1e9,
    },
  };
}

function sample(): BenchResults {
  return {
    schema: 2,
    mode: "quick",
    date: "2026-01-01T00:00:00.000Z",
    command: "node dist/bench/run_all.js --quick",
    seconds: 12,
    machine: {
      cpuModel: "Test CPU",
      cores: 2,
      memoryGiB: 8,
      simd: "avx2",
      node: "v20",
      platform: "linux-x64",
      loadAverage1m: 0,
    },
    torchRuntime: { torch: "1.13", threads: 2, blas: ["/usr/lib/libopenblas.so.0"] },
    builds: [sampleBuild()],
  };
}

describe("results.json", () => {
  const tmp = mkdtempSync(join(tmpdir(), "csp-bench-results-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("accepts numbers, and null only with a reason, in every build", () => {
    expect(headlineProblems(sample())).toEqual([]);
    const bad = sample();
    bad.builds.push(sampleBuild("native"));
    const native = bad.builds[1] as unknown as {
      training: Record<string, unknown>;
      memory: Record<string, unknown>;
    };
    delete native.training.step_speedup_exact_reason;
    native.memory.ratio = "0.1";
    expect(headlineProblems(bad)).toEqual([
      "builds[1] (native) training.step_speedup_exact: null without step_speedup_exact_reason",
      'builds[1] (native) memory.ratio: must be a finite number or null, got "0.1"',
    ]);
    expect(headlineProblems({})).toEqual(["builds: missing or empty"]);
    expect(headlineProblems({ builds: [{ march: "native" }] })).toHaveLength(3);
  });

  it("a file from before builds were recorded reads as one native build", () => {
    const { builds, ...rest } = sample();
    const old = { ...rest, schema: 1, ...builds[0], march: undefined, simd: undefined };
    const path = join(tmp, "schema1.json");
    writeFileSync(path, JSON.stringify(old));
    const back = readPreviousResults(path)!;
    expect(back.schema).toBe(2);
    expect(back.builds.map((b) => [b.march, b.simd])).toEqual([["native", null]]);
    expect(back.builds[0].inference.speedup).toBe(25);
    expect(upgradeResults(sample())).toEqual(sample());
  });

  it("is written whole (no temporary file left) and read back; a malformed object is refused", () => {
    const path = join(tmp, "results.json");
    writeResults(path, sample());
    const back = JSON.parse(readFileSync(path, "utf8")) as BenchResults;
    expect(back.builds[0].inference.speedup).toBe(25);
    expect(back.builds[0].training.step_speedup_exact).toBeNull();
    expect(back.builds[0].training.step_speedup_exact_reason).toBe("mode exact does not exist yet");
    expect(readdirSync(tmp).filter((f) => f.startsWith("results"))).toEqual(["results.json"]);
    expect(readPreviousResults(path)?.builds[0].memory.ratio).toBe(0.05);

    const broken = sample();
    broken.builds[0].inference = { speedup: null, max_logit_diff: 1 } as unknown as BuildResults["inference"];
    expect(() => writeResults(join(tmp, "broken.json"), broken)).toThrow(
      /builds\[0\] \(x86-64-v3\) inference.speedup: null without speedup_reason/,
    );
    expect(existsSync(join(tmp, "broken.json"))).toBe(false);
  });

  it("RESULTS.md states each target's status, and the reason where a number is missing", () => {
    const md = renderResultsMarkdown(sample());
    expect(md).toContain("| target | goal | x86-64-v3 |");
    expect(md).toContain("| ≥ 25× PyTorch dense | 25.00× (ours: sparse; CPU-time ratio n/a): **met** |");
    expect(md).toContain("n/a (mode exact does not exist yet): not measured |");
    expect(md).toContain("| ≤ 1/4 of PyTorch's time | 0.50: not met |");
    expect(md).toContain(
      '| training step, sparse mode "fast" | ≥ 8× PyTorch dense+mask | 6.00× (CPU-time ratio n/a): not met |',
    );
    expect(md).toContain("Test CPU, 2 cores");
    expect(md).toContain("Builds of the native addon measured, one column each below: x86-64-v3 (avx2 fma).");
    expect(md).not.toContain("## Builds side by side");
    expect(md).toContain("## Inference\n");
  });

  it("RESULTS.md has one column per build, their timings side by side, and explains the native build", () => {
    const r = sample();
    const native = sampleBuild("native");
    native.inference = {
      ...native.inference,
      speedup: 31,
      ours: {
        impl: "engine-default",
        description: "ours",
        loadSeconds: 1,
        times: [0.05],
        medianSeconds: 0.05,
        cpuTimes: [0.1],
        medianCpuSeconds: 0.1,
        peakRssBytes: 1e8,
      },
    };
    native.memory.ours_peak_rss_bytes = 2 ** 27;
    const broken: BuildResults = {
      ...sampleBuild(),
      march: "znver9",
      simd: null,
      unavailable: "the -march=znver9 addon did not build (exit 1)",
    };
    broken.inference = { ...missing("speedup", broken.unavailable!), ...missing("max_logit_diff", "x") };
    r.builds.push(native, broken);
    expect(primaryBuild(r).march).toBe("native");
    const md = renderResultsMarkdown(r);
    expect(md).toContain("| target | goal | x86-64-v3 | native | znver9 |");
    expect(md).toContain(
      "| ≥ 25× PyTorch dense | 25.00× (ours: sparse; CPU-time ratio n/a): **met** | 31.00× (ours: sparse; CPU-time ratio n/a): **met** | n/a (the -march=znver9 addon did not build (exit 1)): not measured |",
    );
    expect(md).toContain(
      "x86-64-v3 (avx2 fma), native (avx512f avx2 fma), znver9 (not measured: the -march=znver9 addon did not build (exit 1))",
    );
    expect(md).toContain("## Builds side by side");
    expect(md).toContain("| ours | x86-64-v3 | native | znver9 | PyTorch |");
    expect(md).toContain("| inference forward, median | n/a | 50 ms | n/a | n/a |");
    expect(md).toContain("| peak RSS, load + one forward | 95.4 MiB | 128.0 MiB | 95.4 MiB | 1.86 GiB |");
    expect(md).toContain("## Inference (build native; the other builds' numbers are in the tables above)");
  });

  it("measures x86-64-v3 everywhere it runs, and native where the CPU has more (AVX-512) or less", () => {
    expect(buildsToMeasure(["avx512f", "avx2", "fma"])).toEqual(["x86-64-v3", "native"]);
    expect(buildsToMeasure(["avx2", "fma"])).toEqual(["x86-64-v3"]);
    expect(buildsToMeasure(["sse4_2"])).toEqual(["native"]);
  });
});

describe("run_time_ratio", () => {
  // Hand-made curves: ours reaches 2.0 after 3 s, PyTorch after 30 s; PyTorch ends worse (2.0) than ours (1.8).
  const ours = [
    { steps: 0, trainSeconds: 0, trainCpuSeconds: 0, valLoss: 5 },
    { steps: 4, trainSeconds: 3, trainCpuSeconds: 6, valLoss: 2 },
    { steps: 8, trainSeconds: 6, trainCpuSeconds: 12, valLoss: 1.8 },
  ];
  const torch = [
    { steps: 0, trainSeconds: 0, trainCpuSeconds: 0, valLoss: 5 },
    { steps: 4, trainSeconds: 30, trainCpuSeconds: 60, valLoss: 2.5 },
    { steps: 8, trainSeconds: 60, trainCpuSeconds: 120, valLoss: 2 },
  ];

  it("compares the time each side needs to reach the worse final loss", () => {
    expect(secondsToLoss(torch, 2)).toBe(60);
    expect(secondsToLoss(torch, 1)).toBeNull();
    const r = runTimeRatio(ours, torch);
    expect(r.targetLoss).toBe(2);
    expect(r.oursSeconds).toBe(3);
    expect(r.torchSeconds).toBe(60);
    expect(r.ratio).toBe(0.05);
    // The CPU clock is a separate series (here twice the wall seconds on both sides).
    expect(runTimeRatio(ours, torch, { clock: "trainCpuSeconds" }).oursSeconds).toBe(6);
    expect(runTimeRatio(ours, torch, { clock: "trainCpuSeconds" }).ratio).toBe(0.05);
  });

  it("counts only evaluations at the target sparsity", () => {
    // From 5 steps on, ours first reaches L* = 2 at 8 steps (6 s), PyTorch at 8 steps (60 s).
    const r = runTimeRatio(ours, torch, { minSteps: 5 });
    expect(r.oursSeconds).toBe(6);
    expect(r.ratio).toBe(0.1);
    // S = 32 annealing until 50%: step index 16 must have run, i.e. 17 steps completed.
    expect(stepsToTargetSparsity({ pfrac_anneal: true, pfrac_anneal_stop_frac: 0.5, total_steps: 32 })).toBe(
      17,
    );
    expect(stepsToTargetSparsity({ pfrac_anneal: false, pfrac_anneal_stop_frac: 0.5, total_steps: 32 })).toBe(
      0,
    );
  });

  it("is null with a reason when the target was met before any training", () => {
    const flat = [{ steps: 0, trainSeconds: 0, trainCpuSeconds: 0, valLoss: 1 }];
    const r = runTimeRatio(flat, flat);
    expect(r.ratio).toBeNull();
    expect(r.reason).toMatch(/before training/);
  });
});

describe("the two training modes in results.json and RESULTS.md", () => {
  const curve = (losses: number[], secondsPerStep: number): EvalPoint[] =>
    losses.map((valLoss, i) => ({
      steps: 4 * i,
      trainSeconds: 4 * i * secondsPerStep,
      trainCpuSeconds: 8 * i * secondsPerStep,
      valLoss,
    }));
  const exact = curve([5, 3, 2.5], 1);
  const fast = curve([5, 3.25, 2.75], 0.5);
  const torch = curve([5, 3.125, 2.5], 2);

  it("lossEffect: fast − exact at each evaluation and the exact/PyTorch drift for scale", () => {
    const e = lossEffect(exact, fast, torch, 10);
    expect(e.final_val_fast_minus_exact).toBe(0.25);
    expect(e.by_eval.map((x) => x.fast_minus_exact)).toEqual([0, 0.25, 0.25]);
    expect(e.by_eval.map((x) => x.steps)).toEqual([0, 4, 8]);
    expect(e.max_abs_exact_minus_torch).toBe(0.125);
    expect(e.dense_grad_every).toBe(10);
    expect(() => lossEffect(exact, fast.slice(0, 2), null, 10)).toThrow(/different steps/);
  });

  it("RESULTS.md names the default mode's whole-run ratio, shows the other mode's and the loss effect", () => {
    const run = (evals: EvalPoint[], impl: string): TrainRunResult => ({
      impl,
      description: impl,
      evals,
      losses: [],
      totalTrainSeconds: evals.at(-1)!.trainSeconds,
      totalTrainCpuSeconds: evals.at(-1)!.trainCpuSeconds,
      totalEvalSeconds: 0,
      peakRssBytes: null,
    });
    const cmp = (evals: EvalPoint[], mode: string, target: number, oursS: number, torchS: number) => ({
      oursTrainer: mode,
      targetLoss: target,
      minSteps: 5,
      oursSecondsToTarget: oursS,
      torchSecondsToTarget: torchS,
      ours: run(evals, mode),
      torch: run(torch, "torch"),
    });
    const r = sample();
    const runs = { exact: cmp(exact, "exact", 2.5, 8, 16), fast: cmp(fast, "fast", 2.75, 4, 16) };
    r.builds[0].training = {
      ...r.builds[0].training,
      default_mode: "exact",
      run_time_ratio: 0.5,
      run_time_ratio_cpu: 0.5,
      run_time_ratio_exact: 0.5,
      run_time_ratio_exact_cpu: 0.5,
      run_time_ratio_fast: 0.25,
      run_time_ratio_fast_cpu: 0.25,
      run: runs.exact,
      runs,
      loss_effect: lossEffect(exact, fast, torch, 10),
      setup: { recipe: { global_bs: 2, n_ctx: 8, total_steps: 8 } },
    };
    const md = renderResultsMarkdown(r);
    expect(md).toContain(
      '| whole run to equal validation loss, default mode "exact" | ≤ 1/4 of PyTorch\'s time | 0.50 (ours: exact; CPU-time ratio 0.50): not met |',
    );
    expect(md).toContain('| (whole run, mode "fast", for reference) | — | 0.25 (CPU-time ratio 0.25) |');
    expect(md).toContain("| 8 | 2.5000 | 8.0 | 2.7500 | 4.0 | 2.5000 | 16.0 | +0.2500 |");
    expect(md).toContain("the final validation loss of fast minus exact is +0.2500 (fast ends worse)");
    expect(md).toContain(
      "exact and PyTorch (the same maths, different fp32 summation) differ by up to 0.1250",
    );
    expect(md).toContain('default mode (DEFAULT_TRAINING_MODE, used by `csp train`) is "exact"');
  });
});
