import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchResults, BuildResults, RunComparison, TrainingSection } from "./common/results.js";
import type { EvalPoint } from "./common/specs.js";
import { TRAINING_MODES, type SparseTrainingMode } from "./ours/training.js";

/** Issue #12's per-step targets (× PyTorch dense+mask): fast mode ≥ 8×, exact mode ≥ 5×. */
const STEP_TARGETS: Record<SparseTrainingMode, number> = { fast: 8, exact: 5 };
import { benchSourceDir } from "./common/paths.js";
import type { TrainingCost } from "./training.js";

/** The physical limits the explanations use (2 cores of this machine, as the project states them). */
export const PEAK_FLOPS = 200e9;

/** The FMA peak the bounds use: the stated 200 GFLOP/s, or a higher measured GEMM rate (a bound must not be beaten). */
function boundFlops(): number {
  return Math.max(PEAK_FLOPS, (measuredGemmPeak() ?? 0) * 1e9);
}
export const PEAK_BYTES_PER_S = 30e9;

/** The best native dense GEMM rate in bench/kernels_results.json (the kernel benchmark), if present. */
export function measuredGemmPeak(path = join(benchSourceDir(), "kernels_results.json")): number | null {
  if (!existsSync(path)) return null;
  try {
    const k = JSON.parse(readFileSync(path, "utf8")) as { dense?: { backend: string; bestGflops: number }[] };
    const rates = (k.dense ?? []).filter((r) => r.backend === "native").map((r) => r.bestGflops);
    return rates.length > 0 ? Math.max(...rates) : null;
  } catch {
    return null;
  }
}

const fmt = (x: number | null | undefined, digits = 2): string =>
  x === null || x === undefined || !Number.isFinite(x)
    ? "n/a"
    : x === 0
      ? "0"
      : x >= 1000 || x < 0.01
        ? x.toExponential(2)
        : x.toFixed(digits);
const times = (x: number | null | undefined): string =>
  x == null || !Number.isFinite(x) ? "n/a" : `${fmt(x)}×`;
const ms = (s: number) =>
  s < 0.001 ? `${fmt(s * 1e6, 1)} µs` : `${(s * 1000).toFixed(s < 0.01 ? 2 : 0)} ms`;
const gib = (b: number | null | undefined) =>
  b == null
    ? "n/a"
    : Math.abs(b) < 2 ** 28
      ? `${(b / 2 ** 20).toFixed(1)} MiB`
      : `${(b / 2 ** 30).toFixed(2)} GiB`;

function status(value: number | null, ok: (v: number) => boolean): string {
  return value === null ? "not measured" : ok(value) ? "**met**" : "not met";
}

/** The build whose numbers the detailed sections explain: the native build where it was measured, else the first. */
export function primaryBuild(r: BenchResults): BuildResults {
  const measured = r.builds.filter((b) => !b.unavailable);
  return measured.find((b) => b.march === "native") ?? measured[0] ?? r.builds[0];
}

/** "x86-64-v3 (avx2 fma)", or the march alone when the build's instruction sets are unknown. */
export function buildLabel(b: BuildResults): string {
  if (!b.simd) return b.march;
  const flags = (["avx512f", "avx2", "fma"] as const).filter((f) => b.simd![f]);
  return `${b.march} (${flags.join(" ")})`;
}

/** bench/RESULTS.md: the latest numbers, one column per build of the addon, and per target what bounds it. */
export function renderResultsMarkdown(r: BenchResults): string {
  const lines: string[] = [];
  const p = (s = "") => lines.push(s);
  const builds = r.builds;
  const primary = primaryBuild(r);
  p("# Benchmark results");
  p();
  p(
    `Written by \`${r.command}\` on ${r.date} (${r.mode} mode, ${(r.seconds / 60).toFixed(1)} min). Do not edit: run-all rewrites`,
  );
  p(
    "this file. Method, definitions and caveats: [docs/benchmarks.md](../docs/benchmarks.md). Raw numbers: `bench/results.json`.",
  );
  p();
  p("## Machine");
  p();
  const m = r.machine;
  p(
    `- CPU: ${m.cpuModel}, ${m.cores} cores (${m.simd}), ${m.memoryGiB} GiB RAM; Node ${m.node}, ${m.platform}`,
  );
  p(
    `- 1-minute load average at the start: ${m.loadAverage1m} (anything well above 0 means other work shared the cores)`,
  );
  if (r.torchRuntime) {
    const t = r.torchRuntime as { torch?: string; threads?: number; blas?: string[] };
    p(
      `- PyTorch ${t.torch} (Debian python3-torch, /usr/bin/python3), ${t.threads} threads, BLAS: ${(t.blas ?? []).join(", ") || "unknown"}`,
    );
    p(
      "  OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, OMP_NUM_THREADS=2 and OMP_WAIT_POLICY=PASSIVE, in the baseline's environment only",
    );
  } else {
    p("- PyTorch: unavailable");
  }
  p(`- Ours: 2 native threads (\`nativeThreads(2)\`)`);
  p(
    `- Builds of the native addon measured, one column each below: ${builds.map((b) => (b.unavailable ? `${b.march} (not measured: ${b.unavailable})` : buildLabel(b))).join(", ")}. ` +
      "The same sources compiled for each -march (scripts/build-addon.mjs), which compute the same bits (docs/sparse-compute.md); our children ran with CSP_ADDON_MARCH set to the build, against one PyTorch run per measurement.",
  );
  const gemmPeak = measuredGemmPeak();
  p(
    gemmPeak !== null && gemmPeak > 200
      ? `- Bounds below use ${Math.round(gemmPeak)} GFLOP/s, the best native GEMM the kernel benchmark measured (bench/kernels_results.json, AVX-512), rather than the project's stated ≈ 200 GFLOP/s FMA peak of 2 cores, which that measurement exceeds; memory ≈ 30 GB/s.`
      : `- Bounds below use 2 cores ≈ 200 GFLOP/s FMA peak and ≈ 30 GB/s memory.`,
  );
  const busy = builds.flatMap((b) =>
    (["inference", "memory", "training", "prune"] as const).flatMap((name) =>
      Object.entries(b[name]?.cpu_busy_before ?? {}).map(
        ([k, v]) => [`${builds.length > 1 ? `${b.march} ` : ""}${name} ${k}`, v] as const,
      ),
    ),
  );
  const worst = Math.max(...busy.map(([, v]) => v ?? 0), 0);
  if (busy.length > 0) {
    p(
      `- Other processes' CPU use just before each measurement (fraction of both cores): ${busy.map(([k, v]) => `${k} ${v ?? "n/a"}`).join(", ")}.`,
    );
    if (worst > 0.2)
      p(
        `  **Warning: other work shared the cores (up to ${Math.round(worst * 100)}%); timings and ratios are less reliable than on an idle machine.**`,
      );
  }
  p();
  p("## Targets");
  p();
  p(
    "Speedups are PyTorch's time over ours (wall clock, medians); ratios are ours over PyTorch's. The CPU-time ratio (process CPU seconds, all threads) is a cross-check: it moves less than wall time when other processes share the cores. One column per build of the addon.",
  );
  p();
  p(`| target | goal | ${builds.map((b) => b.march).join(" | ")} |`);
  p(`|---|---|${builds.map(() => "---|").join("")}`);
  const row = (target: string, goal: string, cell: (b: BuildResults) => string) =>
    p(`| ${target} | ${goal} | ${builds.map(cell).join(" | ")} |`);
  const withStatus = (measured: string, st: string) => `${measured}: ${st}`;
  const setup = builds.map((b) => b.inference.setup).find((x) => x !== undefined);
  row(
    `inference speed, ${String(setup?.model ?? "")} forward ${setup?.batch ?? "?"}×${setup?.tokens ?? "?"}`,
    "≥ 25× PyTorch dense",
    ({ inference: inf }) =>
      withStatus(
        inf.speedup === null
          ? `n/a (${inf.speedup_reason})`
          : `${fmt(inf.speedup)}× (ours: ${inf.ours_path}; CPU-time ratio ${times(inf.speedup_cpu)})`,
        status(inf.speedup, (v) => v >= 25),
      ),
  );
  row("inference logits", "max abs diff ≤ 1e-4", ({ inference: inf }) =>
    withStatus(
      inf.max_logit_diff === null
        ? `n/a (${inf.max_logit_diff_reason})`
        : `${fmt(inf.max_logit_diff)} (max abs logit ${fmt(inf.max_abs_logit)})`,
      status(inf.max_logit_diff, (v) => v <= 1e-4),
    ),
  );
  row("inference logits before the first top-k near-tie", "max abs diff ≤ 1e-4", ({ inference: inf }) =>
    withStatus(
      inf.max_logit_diff_before_tie == null
        ? `n/a (${inf.max_logit_diff_before_tie_reason ?? "not measured"})`
        : `${fmt(inf.max_logit_diff_before_tie)}${inf.tie_position != null ? ` (positions 0..${inf.tie_position - 1})` : " (all positions: no near-tie)"}`,
      status(inf.max_logit_diff_before_tie ?? null, (v) => v <= 1e-4),
    ),
  );
  row("inference against the machine's floor", "≤ 3× the floor", ({ inference: inf }) =>
    withStatus(
      inf.vs_floor == null
        ? `n/a (${inf.vs_floor_reason ?? "not measured"})`
        : `${fmt(inf.vs_floor)}× (floor ${fmt(inf.floor_ms)} ms)`,
      status(inf.vs_floor ?? null, (v) => v <= 3),
    ),
  );
  for (const mode of TRAINING_MODES) {
    // The issue's targets: fast mode (sparse work between dense refreshes) ≥ 8×, exact mode ≥ 5×.
    const goal = STEP_TARGETS[mode];
    row(`training step, sparse mode "${mode}"`, `≥ ${goal}× PyTorch dense+mask`, ({ training: tr }) => {
      const v = tr[`step_speedup_${mode}`];
      return withStatus(
        v === null
          ? `n/a (${tr[`step_speedup_${mode}_reason`]})`
          : `${fmt(v)}× (CPU-time ratio ${times(tr[`step_speedup_${mode}_cpu`])})`,
        status(v, (x) => x >= goal),
      );
    });
  }
  const def = builds.map((b) => b.training.default_mode).find((x) => x !== undefined);
  row(
    `whole run to equal validation loss${def ? `, default mode "${def}"` : ""}`,
    "≤ 1/4 of PyTorch's time",
    ({ training: tr }) =>
      withStatus(
        tr.run_time_ratio === null
          ? `n/a (${tr.run_time_ratio_reason})`
          : `${fmt(tr.run_time_ratio)}${tr.run ? ` (ours: ${tr.run.oursTrainer}; CPU-time ratio ${fmt(tr.run_time_ratio_cpu)})` : ""}`,
        status(tr.run_time_ratio, (v) => v <= 1 / 4),
      ),
  );
  for (const mode of TRAINING_MODES.filter(
    (md) => md !== def && builds.some((b) => `run_time_ratio_${md}` in b.training),
  )) {
    row(`(whole run, mode "${mode}", for reference)`, "—", ({ training: tr }) => {
      const v = tr[`run_time_ratio_${mode}`] ?? null;
      return v === null
        ? `n/a (${tr[`run_time_ratio_${mode}_reason`] ?? "not measured"})`
        : `${fmt(v)} (CPU-time ratio ${fmt(tr[`run_time_ratio_${mode}_cpu`])})`;
    });
  }
  row(
    `training tokens/s, ${builds.map((b) => b.training.throughput?.preset).find((x) => x) ?? "widest zoo preset"} over dense of the same shape${def ? ` (mode "${def}")` : ""}`,
    "≥ 3×",
    ({ training: tr }) =>
      withStatus(
        tr.sparse_vs_dense_throughput == null
          ? `n/a (${tr.sparse_vs_dense_throughput_reason ?? "not measured"})`
          : `${fmt(tr.sparse_vs_dense_throughput)}× (fast: ${times(tr.throughput?.ratio_fast)})`,
        status(tr.sparse_vs_dense_throughput ?? null, (v) => v >= 3),
      ),
  );
  row("pruning: one mask-training step", "≥ 5× PyTorch", ({ prune: pr }) =>
    pr === undefined
      ? "not measured"
      : withStatus(
          pr.step_ratio === null
            ? `n/a (${pr.step_ratio_reason})`
            : `${fmt(pr.step_ratio)}× (CPU-time ratio ${times(pr.step_ratio_cpu)})`,
          status(pr.step_ratio, (v) => v >= 5),
        ),
  );
  row("pruning: one run with the defaults, planted circuit", "≤ 600 s, recovered", ({ prune: pr }) =>
    pr === undefined
      ? "not measured"
      : withStatus(
          (pr.seconds === null ? `n/a (${pr.seconds_reason})` : `${fmt(pr.seconds, 0)} s`) +
            `; recovered: ${pr.recovered === null ? "n/a" : pr.recovered ? "yes" : "no"}`,
          pr.seconds === null ? "not measured" : status(pr.seconds, (v) => v <= 600 && pr.recovered === true),
        ),
  );
  row("peak memory, csp_yolo2 load + forward", "≤ 1/8 of dense fp32", ({ memory: mem }) =>
    withStatus(
      mem.ratio === null
        ? `n/a (${mem.ratio_reason})`
        : `${fmt(mem.ratio)} of PyTorch's peak; ${fmt(mem.ours_vs_dense_fp32)} of the dense fp32 weights`,
      status(mem.ours_vs_dense_fp32 ?? null, (v) => v <= 1 / 8),
    ),
  );
  p();
  if (builds.length > 1) buildsSection(builds, p);
  const explained =
    builds.length > 1 ? ` (build ${primary.march}; the other builds' numbers are in the tables above)` : "";
  inferenceSection(primary, p, explained);
  trainingSection(primary, p, explained);
  memorySection(primary, p, explained);
  throughputSection(primary, p, explained);
  pruneSection(primary, p, explained);
  p("## Commands");
  p();
  p("```");
  p(`${r.command}`);
  const commands = builds.flatMap((b) => [
    ...(b.inference.commands ?? []),
    ...(b.memory.commands ?? []),
    ...(b.training.commands ?? []),
    ...(b.prune?.commands ?? []),
  ]);
  for (const c of new Set(commands)) p(`  ${c}`);
  p("```");
  p("(The children's spec files live in a temporary directory that run-all removes; `--keep-tmp` keeps it.)");
  return lines.join("\n") + "\n";
}

/** Our raw numbers per build beside PyTorch's (the same PyTorch run for every build). */
function buildsSection(builds: BuildResults[], p: (s?: string) => void): void {
  p("## Builds side by side");
  p();
  p(
    `Our measured times per build; PyTorch's are one measurement shared by all builds. Each build computes the same bits, so the builds differ in speed only.`,
  );
  p();
  p(`| ours | ${builds.map((b) => b.march).join(" | ")} | PyTorch |`);
  p(`|---|${builds.map(() => "---|").join("")}---|`);
  const secs = (x: number | undefined) => (x === undefined ? "n/a" : `${fmt(x)} s`);
  const row = (what: string, ours: (b: BuildResults) => string, torch: string) =>
    p(`| ${what} | ${builds.map(ours).join(" | ")} | ${torch} |`);
  const torchOf = <T>(get: (b: BuildResults) => T | undefined): T | undefined =>
    builds.map(get).find((x) => x !== undefined);
  const torchInf = torchOf((b) => b.inference.torch);
  row(
    "inference forward, median",
    (b) => (b.inference.ours ? ms(b.inference.ours.medianSeconds) : "n/a"),
    torchInf ? ms(torchInf.medianSeconds) : "n/a",
  );
  row(
    "peak RSS, load + one forward",
    (b) => gib(b.memory.ours_peak_rss_bytes),
    gib(torchOf((b) => b.memory.torch_peak_rss_bytes ?? undefined)),
  );
  const torchStep = torchOf((b) => b.training.steps?.torch);
  for (const mode of TRAINING_MODES)
    row(
      `training step "${mode}", median`,
      (b) => secs(b.training.steps?.ours[mode]?.medianSeconds),
      secs(torchStep?.medianSeconds),
    );
  for (const mode of TRAINING_MODES) {
    const run = (b: BuildResults) => b.training.runs?.[mode];
    const torchRun = torchOf((b) => {
      const x = run(b);
      return x && "torch" in x ? x.torchSecondsToTarget : undefined;
    });
    row(
      `whole run "${mode}", training seconds to L*`,
      (b) => {
        const x = run(b);
        return x && "torch" in x ? `${fmt(x.oursSecondsToTarget, 1)} s` : "n/a";
      },
      torchRun === undefined ? "n/a" : `${fmt(torchRun, 1)} s`,
    );
  }
  p();
}

function inferenceSection(r: BuildResults, p: (s?: string) => void, explained = ""): void {
  const inf = r.inference;
  const s = inf.setup as
    | {
        tokens: number;
        batch: number;
        denseLinearMacsPerToken: number;
        sparseLinearMacsPerToken: number;
        prunedNonzeros: number;
      }
    | undefined;
  p(`## Inference${explained}`);
  p();
  if (!s || !inf.ours) {
    p(`Not measured: ${inf.speedup_reason ?? "no data"}.`);
    p();
    return;
  }
  const tokens = s.tokens * s.batch;
  const denseFlop = 2 * tokens * s.denseLinearMacsPerToken;
  const sparseFlop = 2 * tokens * s.sparseLinearMacsPerToken;
  const peak = boundFlops();
  const denseFloor = denseFlop / peak;
  p(
    `Median of ${inf.ours.times.length} forwards after warmup: ours ${ms(inf.ours.medianSeconds)} (${inf.ours.impl}),` +
      (inf.torch ? ` PyTorch ${ms(inf.torch.medianSeconds)}.` : " PyTorch not measured."),
  );
  p();
  p(
    `- The linear layers of this forward are ${fmt(denseFlop / 1e9)} GFLOP dense; only ${fmt(sparseFlop / 1e9, 3)} GFLOP involve nonzero weights (${s.prunedNonzeros} nonzeros).`,
  );
  if (inf.torch) {
    const target = inf.torch.medianSeconds / 20;
    p(
      `- PyTorch reaches ${fmt(denseFlop / inf.torch.medianSeconds / 1e9)} GFLOP/s counting only the linear layers. The target needs ours ≤ ${ms(target)}.`,
    );
    p(
      `- Any path that multiplies dense weights needs ≥ ${ms(denseFloor)} at ${Math.round(peak / 1e9)} GFLOP/s, so it can be at most ${fmt(inf.torch.medianSeconds / denseFloor)}× faster than this PyTorch: ${inf.torch.medianSeconds / denseFloor < 20 ? "the target needs the linear layers on the sparse kernels (spmmNT over the CSR weights), whatever the dense kernels' quality" : "the target is within reach of dense kernels"}. Ours measured: ${inf.ours.description}.`,
    );
  }
  const sparseFloor = sparseFlop / peak + (8 * s.prunedNonzeros) / PEAK_BYTES_PER_S;
  p(
    `- With sparse weights the linear work is ${ms(sparseFlop / peak)} at peak, and reading the nonzeros (8 bytes each) ${ms((8 * s.prunedNonzeros) / PEAK_BYTES_PER_S)} at 30 GB/s: ${fmt((100 * sparseFloor) / inf.ours.medianSeconds)}% of our measured forward. ` +
      "The rest of a sparse-weight forward is dense in the activations: attention (QKᵀ and PV), the top-k selections, GELU, norms and the bigram/unembedding rows; with the weights this cheap, that work is what bounds a sparse path.",
  );
  if (inf.floor) {
    const f = inf.floor;
    p(
      `- The machine's floor for this forward (bench/floor.ts), from this build's own measurements in the same run: dense GEMM ${fmt(f.peaks.gemmGflops, 0)} GFLOP/s (best of ${f.peaks.gemm.map((g) => g.shape).join(", ")}), read bandwidth ${fmt(f.peaks.readGBs, 1)} GB/s (sumSquares over 256 MiB). ` +
        `Compute: causal attention ${fmt(f.attentionFlop / 1e9, 3)} GFLOP (QKᵀ and PV over j ≤ i) + the nonzero-weight products ${fmt(f.sparseLinearFlop / 1e9, 3)} GFLOP at the GEMM peak = ${ms(f.computeSeconds)}; memory: ${fmt(f.compulsoryBytes / 2 ** 20, 1)} MiB that must cross once (nonzeros at 8 bytes, the bigram rows read and the logits written) = ${ms(f.memorySeconds)}. ` +
        `The floor is the larger, ${ms(f.floorSeconds)}; top-k, GELU and norms count as free (a fused kernel finds their inputs in cache). Ours is ${fmt(inf.vs_floor)}× that (target ≤ 3×).`,
    );
  }
  p(
    `- Logits: max |ours − PyTorch| = ${fmt(inf.max_logit_diff)} for logits up to ${fmt(inf.max_abs_logit)} in magnitude; ` +
      `${inf.positions_over_1e4 ?? "?"} of ${inf.positions ?? "?"} positions differ by more than 1e-4` +
      (inf.first_position_over_1e4 != null
        ? ` (the first is position ${inf.first_position_over_1e4}).`
        : "."),
  );
  p(
    `- Before the first diagnosed top-k near-tie (relative gap < 1e-6 between the k-th and (k+1)-th |x|): ` +
      (inf.max_logit_diff_before_tie == null
        ? `n/a (${inf.max_logit_diff_before_tie_reason ?? "not measured"}).`
        : inf.tie_position != null
          ? `max |ours − PyTorch| over positions 0..${inf.tie_position - 1} = ${fmt(inf.max_logit_diff_before_tie)} (max_logit_diff_before_tie; target ≤ 1e-4).`
          : `no near-tie was diagnosed, so every position counts: ${fmt(inf.max_logit_diff_before_tie)}.`),
  );
  const d = inf.diagnosis;
  if (d && "error" in d) p(`- The divergence diagnosis failed: ${d.error}.`);
  else if (d && d.divergence) {
    const v = d.divergence;
    const tie = v.relativeGap !== null && v.relativeGap < 1e-6;
    p(
      `- First divergence (bench/torch/diagnose.py, comparing every AbsTopK site in forward order): \`${v.hook}\` at position ${v.position}; ` +
        `${v.keptSetDiffers ? "the kept set differs" : "values differ"}; the k-th and (k+1)-th largest |x| there (k = ${v.k}) are ${fmt(v.kthAbs, 6)} and ${fmt(v.nextAbs, 6)}, relative gap ${v.relativeGap === null ? "n/a" : v.relativeGap.toExponential(2)}. ` +
        (tie
          ? "That is a tie at float32 resolution: fp32 summation orders differ (~1e-7 relative), so either side may keep either entry, and the swap then propagates (through attention, to later positions). Neither side is wrong; a 1e-4 bound on all logits cannot hold for fp32 top-k models unless both sides sum in the same order. " +
            (inf.first_position_over_1e4 === v.position
              ? `No position before ${v.position} differs by more than 1e-4.`
              : `The first logit difference above 1e-4 is at position ${inf.first_position_over_1e4 ?? "n/a"}, not at the divergence: look further.`)
          : "The gap is well above float32 resolution: this is a real discrepancy to investigate."),
    );
  } else if (d)
    p(
      `- No AbsTopK site differs (${d.sitesCompared} compared): the difference arises outside the top-k selections.`,
    );
  p(
    `- Both sides compute in fp32. The PyTorch model itself matches the reference fixtures to their float32 storage precision, and the PyTorch recipe reproduces the train-step fixture to 1e-14 (bench/torch/check_parity.py).`,
  );
  p();
}

function trainingSection(r: BuildResults, p: (s?: string) => void, explained = ""): void {
  const tr = r.training;
  const setup = tr.setup as
    | {
        cost?: TrainingCost;
        recipe?: { global_bs: number; n_ctx: number; total_steps: number; dense_grad_every?: number };
        stepWarmup?: number;
        stepTimed?: number;
      }
    | undefined;
  p(`## Training${explained}`);
  p();
  const cost = setup?.cost;
  const recipe = setup?.recipe;
  const refresh = recipe?.dense_grad_every;
  const torchStepResult = tr.steps?.torch;
  if (tr.steps && torchStepResult && cost && recipe) {
    const tokens = recipe.global_bs * recipe.n_ctx;
    const denseFlop =
      6 * tokens * cost.linearMacsPerToken + 6 * recipe.global_bs * cost.attentionMacsPerSequence;
    const dwFlop = 2 * tokens * cost.linearMacsPerToken;
    const adamBytes = cost.params * 4 * 7; // read p, g, m, v; write p, m, v
    const peak = boundFlops();
    const adamFloor = adamBytes / PEAK_BYTES_PER_S;
    const exactFloor = dwFlop / peak + adamFloor;
    const torchStep = torchStepResult.medianSeconds;
    const warmup = setup?.stepWarmup ?? 0;
    p(
      `Step time at the target sparsity (median of ${torchStepResult.times.length} after ${warmup} warmup): PyTorch ${fmt(torchStep)} s; ` +
        Object.entries(tr.steps.ours)
          .map(([k, v]) => `ours (${k}) ${fmt(v.medianSeconds)} s`)
          .join("; ") +
        ".",
    );
    p();
    for (const [k, v] of Object.entries(tr.steps.ours)) p(`- Ours, mode "${k}": ${v.description}.`);
    p(`- PyTorch: ${torchStepResult.description}.`);
    p(
      `- A dense step is ≈ ${fmt(denseFlop / 1e9)} GFLOP (6 × ${tokens} tokens × linear weights, plus attention): ≥ ${fmt(denseFlop / peak)} s at peak. PyTorch runs it at ${fmt(denseFlop / torchStep / 1e9)} GFLOP/s.`,
    );
    p(
      `- The target ≥ 5× means a step ≤ ${fmt(torchStep / 5)} s. The weight matrices keep ${fmt(100 * cost.targetWeightDensity)}% of their entries, so forward and input-gradient products shrink 1/${fmt(1 / cost.targetWeightDensity, 0)}-fold with sparse kernels.`,
    );
    p(
      `- Mode "exact" must reproduce the recipe, whose gradients and Adam moments are dense (a pruned weight can re-enter the top-k): the weight gradient is dense (${fmt(dwFlop / 1e9)} GFLOP as a GEMM, ≥ ${fmt(dwFlop / peak)} s at peak; where dy went through an AbsTopK, every matrix but lm_head here, the engine skips dy's zeros: about a quarter of those multiply-adds, each with one load of the other operand instead of a GEMM's register-blocked reuse, gemmSparseA in docs/sparse-compute.md) and Adam streams ${fmt(cost.params / 1e6)}M parameters × 28 bytes (≥ ${ms(adamFloor)} at 30 GB/s). Its floor with a dense product is ≈ ${fmt(exactFloor)} s, i.e. at most ${fmt(torchStep / exactFloor)}× this PyTorch step.`,
    );
    const exStep = tr.steps.ours.exact;
    const faStep = tr.steps.ours.fast;
    if (exStep && faStep && exStep.medianSeconds > faStep.medianSeconds) {
      // The two modes differ only in the weight gradient of the sparse matrices (dense vs SDDMM).
      const extra = exStep.medianSeconds - faStep.medianSeconds;
      p(
        `- Measured: exact's step exceeds fast's masked step by ${fmt(extra)} s, which is the dense weight gradient (less the SDDMM it replaces): ≈ ${fmt(dwFlop / extra / 1e9)} GFLOP/s counted as the dense product's ${fmt(dwFlop / 1e9)} GFLOP. That gradient is what bounds exact mode; as a GEMM at the ${fmt(peak / 1e9, 0)} GFLOP/s bound exact's step would be ≈ ${fmt(exStep.medianSeconds - extra + dwFlop / peak)} s (${fmt(torchStep / (exStep.medianSeconds - extra + dwFlop / peak))}× PyTorch).`,
      );
    }
    if (refresh !== undefined) {
      const timedIdx = Array.from({ length: setup?.stepTimed ?? 0 }, (_, i) => warmup + i);
      const refreshes = timedIdx.filter((i) => i % refresh === 0).length;
      // Amortised over a refresh period: the masked steps' cost plus the dense dW GEMM once per period.
      // Adam counts only where fast mode's own description says its moments are dense.
      const denseAdam = /dense Adam/i.test(tr.steps.ours.fast?.description ?? "");
      const fastFloor = dwFlop / peak / refresh + (denseAdam ? adamFloor : 0);
      p(
        `- Mode "fast" runs the dense weight gradient only on steps i with i % ${refresh} = 0; the timed steps (i = ${timedIdx.join(", ")}) include ${refreshes} such refresh step${refreshes === 1 ? "" : "s"}, so its median is ${refreshes === 0 ? "the masked-step time" : "mostly the masked-step time"}; the whole run below pays every refresh. ` +
          `Amortised over ${refresh} steps, the dense weight gradient is ≥ ${ms(dwFlop / peak / refresh)} per step at peak; ${denseAdam ? `with Adam over every parameter (dense moments, ${ms(adamFloor)}) ` : ""}the floor is ≈ ${ms(fastFloor)}, at most ${fmt(torchStep / fastFloor)}× this PyTorch step, and below that the activation-dense work (attention, top-k, norms) and the sparse products bound it.`,
      );
      const ex = tr.steps.ours.exact;
      const fa = tr.steps.ours.fast;
      if (ex && fa && refreshes === 0) {
        const amortised = (fa.medianSeconds * (refresh - 1) + ex.medianSeconds) / refresh;
        p(
          `- Counting a refresh step at the exact step's measured time (the same dense weight gradient), fast mode's step amortised over ${refresh} steps is ≈ ${fmt(amortised)} s, ${fmt(torchStep / amortised)}× PyTorch (an estimate; the whole run measures it).`,
        );
      }
    }
    p();
  } else {
    p(
      `Step timing not measured: ${tr.step_speedup_exact_reason ?? tr.step_speedup_fast_reason ?? "no data"}.`,
    );
    p();
  }
  wholeRunSection(tr, recipe, cost, p);
}

function wholeRunSection(
  tr: TrainingSection,
  recipe: { total_steps: number } | undefined,
  cost: TrainingCost | undefined,
  p: (s?: string) => void,
): void {
  const runs = tr.runs ?? (tr.run ? { [tr.run.oursTrainer]: tr.run } : {});
  const modes = TRAINING_MODES.filter((m) => runs[m as SparseTrainingMode]);
  if (modes.length === 0) {
    p(`Whole run not measured: ${tr.run_time_ratio_reason}.`);
    p();
    return;
  }
  p(`Whole run (${recipe ? recipe.total_steps + 1 : "?"} steps, anneal included): ${tr.run_definition}`);
  p();
  const compared = modes.flatMap((m) => {
    const run = runs[m];
    return run && "torch" in run ? [[m, run as RunComparison] as const] : [];
  });
  for (const [m, run] of compared) {
    const ratio = tr[`run_time_ratio_${m}`];
    p(
      `- Mode "${m}"${m === tr.default_mode ? " (the default)" : ""}: L* = ${fmt(run.targetLoss, 4)}, counted from ${run.minSteps} steps on; ours reached it after ${fmt(run.oursSecondsToTarget, 1)} s of training, PyTorch after ${fmt(run.torchSecondsToTarget, 1)} s: ratio ${ratio == null ? `n/a (${tr[`run_time_ratio_${m}_reason`]})` : fmt(ratio)}.`,
    );
  }
  if (compared.length < modes.length) p(`- PyTorch's run: not measured (${tr.run_time_ratio_reason}).`);
  p();
  const torch: readonly EvalPoint[] = compared[0]?.[1].torch.evals ?? [];
  const series: [string, readonly EvalPoint[]][] = [
    ...modes.map((m) => [`ours "${m}"`, runs[m]!.ours.evals] as [string, readonly EvalPoint[]]),
    ...(torch.length > 0 ? [["PyTorch", torch] as [string, readonly EvalPoint[]]] : []),
  ];
  const effect = tr.loss_effect;
  p(
    `| steps | ${series.map(([n]) => `${n} val loss | ${n} train s`).join(" | ")}${effect ? " | fast − exact |" : " |"}`,
  );
  p(`|---|${series.map(() => "---|---|").join("")}${effect ? "---|" : ""}`);
  const rows = Math.max(...series.map(([, e]) => e.length));
  for (let i = 0; i < rows; i++) {
    const steps = series.map(([, e]) => e[i]?.steps).find((x) => x !== undefined);
    const cells = series.map(([, e]) => `${fmt(e[i]?.valLoss, 4)} | ${fmt(e[i]?.trainSeconds, 1)}`);
    const gap = effect?.by_eval[i];
    p(
      `| ${steps} | ${cells.join(" | ")}${effect ? ` | ${gap ? signed(gap.fast_minus_exact) : "n/a"} |` : " |"}`,
    );
  }
  p();
  if (effect) {
    const gaps = effect.by_eval.map((e) => e.fast_minus_exact);
    const final = effect.final_val_fast_minus_exact;
    // Fast mode masks only where the weights are sparse, so the curves may coincide early in the anneal.
    const same = effect.by_eval.findIndex((e) => e.fast_minus_exact !== 0);
    const sameThrough =
      same === -1 ? effect.by_eval.at(-1)?.steps : same > 1 ? effect.by_eval[same - 1].steps : undefined;
    p(
      `- Measured loss effect of "fast" (dense weight gradient every ${effect.dense_grad_every} steps) against "exact", same initial weights, batches and validation windows: the final validation loss of fast minus exact is ${signed(final)} (fast ends ${final > 0 ? "worse" : final < 0 ? "better" : "equal"}); over the evaluations the gap ranges from ${signed(Math.min(...gaps))} to ${signed(Math.max(...gaps))}${sameThrough === undefined ? "" : ` (identical through ${sameThrough} steps)`}` +
        (effect.max_abs_exact_minus_torch === undefined
          ? "."
          : `. For scale, exact and PyTorch (the same maths, different fp32 summation) differ by up to ${fmt(effect.max_abs_exact_minus_torch, 4)}.`) +
        (tr.default_mode
          ? ` The engine's default mode (DEFAULT_TRAINING_MODE, used by \`csp train\`) is "${tr.default_mode}", so run_time_ratio is ${tr.default_mode}'s.`
          : ""),
    );
  } else if (tr.default_mode) {
    p(`- The engine's default mode (DEFAULT_TRAINING_MODE, used by \`csp train\`) is "${tr.default_mode}".`);
  }
  if (cost) {
    p(
      `- The anneal starts dense: averaged over this run the weight matrices keep ${fmt(100 * cost.meanWeightDensityOverRun)}% of their entries, so even a trainer whose cost were proportional to the nonzeros would gain at most ${fmt(1 / cost.meanWeightDensityOverRun)}× over a dense one of the same efficiency on this run; ≤ 1/4 needs that and fast sparse kernels during the dense phase.`,
    );
  }
  p();
}

const signed = (x: number): string => (x > 0 ? `+${fmt(x, 4)}` : x < 0 ? `−${fmt(-x, 4)}` : "0");

function memorySection(r: BuildResults, p: (s?: string) => void, explained = ""): void {
  const mem = r.memory;
  p(`## Memory${explained}`);
  p();
  if (mem.ours_peak_rss_bytes == null) {
    p(`Not measured: ${mem.ratio_reason}.`);
    p();
    return;
  }
  const dense = mem.dense_fp32_bytes ?? 0;
  const target = dense / 8;
  p(
    `Peak RSS of load + one forward: ours ${gib(mem.ours_peak_rss_bytes)}, PyTorch ${gib(mem.torch_peak_rss_bytes)}; the dense fp32 weights are ${gib(dense)}. The target (1/8 of dense fp32) is ${gib(target)}; ours is ${fmt(mem.ours_peak_rss_bytes / target)}× that.`,
  );
  p();
  const ours = r.inference.ours;
  if (ours)
    p(`- How ours loads and holds the weights (the measured path's own description): ${ours.description}.`);
  const nnz = (r.inference.setup as { prunedNonzeros?: number } | undefined)?.prunedNonzeros;
  if (nnz !== undefined) {
    const csr = 8 * nnz;
    p(
      `- The pruned matrices' nonzeros held as CSR (4-byte value + 4-byte column index) take ${gib(csr)}, which leaves ${gib(target - csr)} under the target for everything else: the tensors that stay dense, the forward's activations and the runtime. Untouched pages of a zero-filled array do not count in RSS, so a dense holder can measure below the dense fp32 size.`,
    );
  }
  p();
}

function throughputSection(r: BuildResults, p: (s?: string) => void, explained = ""): void {
  const t = r.training.throughput;
  if (!t) return;
  p(`## Training cost against dense: ${t.preset}${explained}`);
  p();
  p(
    `Our engine, one process per trainer, the preset's model (same initial weights and batches, ${t.tokensPerStep} tokens per step): the sparse preset at its target sparsity in each mode, and the dense model of the same shape (\`csp train --dense\`: no top-k, same total parameters). tokens/s = tokens per step / the mean of ${t.timed} steps after ${t.warmup} warm-up, one refresh period of fast mode (so its mean pays one dense weight-gradient refresh).`,
  );
  p();
  p("| trainer | mean step | tokens/s | over dense |");
  p("|---|---|---|---|");
  for (const [name, run] of Object.entries(t.runs)) {
    const ratio = name === "dense" ? 1 : (t[`ratio_${name}` as "ratio_exact" | "ratio_fast"] ?? null);
    p(`| ${name} | ${fmt(run!.meanSeconds, 3)} s | ${fmt(run!.tokensPerSecond, 0)} | ${times(ratio)} |`);
  }
  p();
  p(
    `- training.sparse_vs_dense_throughput is the default mode's ("${t.default_mode}") ratio: ${times(r.training.sparse_vs_dense_throughput)} (target ≥ 3×).`,
  );
  const w = t.whole_run;
  if (w && "error" in w) p(`- Whole run to equal validation loss: not available (${w.error}).`);
  else if (w) {
    p(
      `- Whole run to a given validation loss, from the committed zoo (not retrained here; ${w.source}): ${w.sparse.model} reached its final ${fmt(w.targetLoss, 3)} after ${w.sparse.step} steps, ${fmt(w.sparse.seconds, 0)} s; ` +
        w.dense
          .map((d) =>
            d.seconds === null
              ? `${d.model} never reached it (final ${fmt(d.finalValLoss, 3)})`
              : `${d.model} after ${d.step} steps, ${fmt(d.seconds, 0)} s`,
          )
          .join("; ") +
        (w.sparseOverFastestDense === null
          ? "."
          : `. The sparse run took ${fmt(w.sparseOverFastestDense)}× the time of the fastest dense run to that loss (${w.fastestDense}): ${w.sparseOverFastestDense < 1 ? "cheaper" : "not cheaper"}.`),
    );
  }
  p();
}

function pruneSection(r: BuildResults, p: (s?: string) => void, explained = ""): void {
  const pr = r.prune;
  if (!pr) return;
  p(`## Pruning${explained}`);
  p();
  const s = pr.setup as
    | {
        model: string;
        nodes: number;
        matrixNonzeros: number;
        matrixEntries: number;
        stepPairs: number;
        defaultMaskSteps: number;
        trainPairs: number;
      }
    | undefined;
  if (s)
    p(
      `Model: ${s.model}: ${s.nodes} nodes, matrices ${s.matrixNonzeros} nonzero of ${s.matrixEntries}. Task: the planted marker task (src/prune/synthetic.ts), ${s.trainPairs} training pairs of 24–64 tokens; csp prune's defaults (PRUNE_JOB_DEFAULTS: learned masks, ${s.defaultMaskSteps} steps of ${s.stepPairs} pairs, mean ablation, target loss 0.15).`,
    );
  p();
  const st = pr.steps;
  if (st) {
    p(
      `- One mask-training step on the same ${s?.stepPairs ?? "?"} pairs: ours ${fmt(st.ours.medianSeconds, 3)} s${st.torch ? `, PyTorch ${fmt(st.torch.medianSeconds, 3)} s: ${times(pr.step_ratio)} (target ≥ 5×)` : ""}. Ours: ${st.ours.description}.${st.torch ? ` PyTorch: ${st.torch.description}.` : ""}`,
    );
    if (pr.first_step_loss_diff !== undefined)
      p(
        `- Both compute the same step: the first step's task loss (every node kept) is ${fmt(st.ours.losses[0], 5)} ours and ${fmt(st.torch?.losses[0], 5)} PyTorch's (|difference| ${fmt(pr.first_step_loss_diff)}).`,
      );
  } else p(`- Mask-training step: not measured (${pr.step_ratio_reason}).`);
  const run = pr.run;
  if (run) {
    p(
      `- Prune run with ${run.maskSteps} mask steps${run.maskSteps === s?.defaultMaskSteps ? " (the default)" : ` (bounded: the default is ${s?.defaultMaskSteps})`}: ${fmt(run.seconds, 0)} s (${run.phases.map((ph) => `${ph.label} ${fmt(ph.seconds, 1)} s`).join(", ")}); circuit ${run.k} of ${run.nodes} nodes, loss ${fmt(run.lossCircuit, 3)} (full model ${fmt(run.lossFull, 3)}), target reached: ${run.reached}; planted nodes ${run.plantedMissing.length === 0 ? "all in the circuit (recovered)" : `missing: ${run.plantedMissing.join(", ")}`}.`,
    );
    if (pr.seconds === null && pr.seconds_estimate !== undefined)
      p(
        `- The whole run with the defaults is estimated at ${fmt(pr.seconds_estimate, 0)} s (the bounded run with its mask training scaled to ${s?.defaultMaskSteps} steps); the target is ≤ 600 s.`,
      );
  } else p(`- Prune run: not measured (${pr.seconds_reason}).`);
  p();
}
