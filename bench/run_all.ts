// The whole benchmark: inference, memory, training and pruning, ours against PyTorch in the same run, for
// every build of the addon the machine runs (x86-64-v3, and native where it differs: bench/builds.ts).
//   node dist/bench/run_all.js [--quick] [--only inference,memory,training,prune] [--out FILE] [--keep-tmp]
//                              [--max-wait-s S]  (before each measurement, wait up to S seconds for
//                              other processes to leave the cores idle; default 30, quick 5)
//                              [--builds x86-64-v3,native]  (the builds to measure; default: as above)
// Prints the machine, every command and the ratios; writes bench/results.json (quick mode:
// bench/results-quick.json) atomically and, in full mode, bench/RESULTS.md. Full mode takes about 25
// minutes on 2 cores (estimated from the sections' measured parts), --quick about 2.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { writeFileAtomic } from "../src/io/atomic.js";
import {
  INFERENCE_FULL,
  INFERENCE_QUICK,
  PRUNE_FULL,
  PRUNE_QUICK,
  TRAINING_FULL,
  TRAINING_QUICK,
} from "./configs.js";
import { errorLine, torchMemo, type BenchContext } from "./common/context.js";
import { formatMachine, machineInfo } from "./common/machine.js";
import { paths as benchPaths } from "./common/outputs.js";
import { BENCH_THREADS, baselineEnv, quietWait, shellQuote } from "./common/proc.js";
import { SYSTEM_PYTHON, benchSourceDir, repoRoot } from "./common/paths.js";
import {
  readPreviousResults,
  unmeasuredSections,
  upgradeResults,
  writeResults,
  type BenchResults,
  type BuildResults,
} from "./common/results.js";
import { buildsToMeasure, prepareBuild } from "./builds.js";
import { prepareInference, runInferenceBench, type InferenceAssets } from "./inference.js";
import { runMemoryBench } from "./memory.js";
import { renderResultsMarkdown } from "./report.js";
import { prepareTraining, runTrainingBench } from "./training.js";
import { preparePrune, runPruneBench, type PruneAssets } from "./prune_scale.js";
import {
  THROUGHPUT_PRESET as THROUGHPUT_LABEL,
  prepareThroughput,
  runThroughputBench,
  type ThroughputAssets,
} from "./throughput.js";

const SECTIONS = ["inference", "memory", "training", "prune"] as const;
type Section = (typeof SECTIONS)[number];

interface Args {
  quick: boolean;
  only: Set<Section>;
  out?: string;
  keepTmp: boolean;
  /** Seconds each measurement waits at most for other processes to leave the cores idle. */
  maxWaitS?: number;
  /** Only re-render RESULTS.md from results.json. */
  reportOnly: boolean;
  /** The builds of the addon to measure (default: buildsToMeasure). */
  builds?: string[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, only: new Set(SECTIONS), keepTmp: false, reportOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") args.quick = true;
    else if (a === "--keep-tmp") args.keepTmp = true;
    else if (a === "--report-only") args.reportOnly = true;
    else if (a === "--out") args.out = argv[++i];
    else if (a === "--builds") {
      args.builds = (argv[++i] ?? "").split(",").filter((b) => b.length > 0);
      if (args.builds.length === 0)
        throw new Error(`--builds needs a comma-separated list of -march targets`);
    } else if (a === "--max-wait-s") {
      args.maxWaitS = Number(argv[++i]);
      if (!(args.maxWaitS >= 0)) throw new Error(`--max-wait-s needs a number of seconds >= 0`);
    } else if (a === "--only") {
      const names = (argv[++i] ?? "").split(",").filter((s) => s.length > 0);
      for (const n of names)
        if (!(SECTIONS as readonly string[]).includes(n))
          throw new Error(`--only: unknown section "${n}" (have ${SECTIONS.join(", ")})`);
      args.only = new Set(names as Section[]);
    } else
      throw new Error(
        `unknown argument "${a}" (usage: run-all.js [--quick] [--only ${SECTIONS.join(",")}] [--builds M1,M2] [--out FILE] [--keep-tmp] [--max-wait-s S] [--report-only])`,
      );
  }
  return args;
}

/** PyTorch's runtime facts, installing it (bench/setup.sh) when torch or OpenBLAS is missing. */
function ensureTorch(log: (s: string) => void): {
  runtime: Record<string, unknown> | null;
  unavailable: string | null;
} {
  const probe = () =>
    spawnSync(SYSTEM_PYTHON, [join(benchSourceDir(), "torch", "runtime.py")], {
      env: baselineEnv(),
      encoding: "utf8",
    });
  let r = probe();
  const runtimeOf = (out: string) => {
    const line = out.split("\n").find((l) => l.startsWith("RUNTIME "));
    return line ? (JSON.parse(line.slice(8)) as { blas?: string[] } & Record<string, unknown>) : null;
  };
  let runtime = r.status === 0 ? runtimeOf(r.stdout) : null;
  const fastBlas = (rt: { blas?: string[] } | null) => !!rt?.blas?.some((b) => /openblas|mkl|blis/.test(b));
  if (!runtime || !fastBlas(runtime)) {
    log(
      `PyTorch ${runtime ? "uses the reference BLAS" : "is not importable from " + SYSTEM_PYTHON}: running bench/setup.sh`,
    );
    const s = spawnSync("bash", [join(benchSourceDir(), "setup.sh")], { stdio: "inherit" });
    if (s.status !== 0)
      return {
        runtime,
        unavailable: runtime ? null : `PyTorch unavailable: bench/setup.sh failed (exit ${s.status})`,
      };
    r = probe();
    runtime = r.status === 0 ? runtimeOf(r.stdout) : null;
    if (!runtime)
      return {
        runtime: null,
        unavailable: `PyTorch unavailable: ${(r.stderr ?? "").trim().split("\n").pop()}`,
      };
  }
  log(
    r.stdout
      .split("\n")
      .filter((l) => !l.startsWith("RUNTIME "))
      .join("\n")
      .trim(),
  );
  return { runtime, unavailable: null };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  quietWait.maxSeconds = args.maxWaitS ?? (args.quick ? 5 : 30);
  const t0 = performance.now();
  const root = repoRoot();
  const command = shellQuote([
    "node",
    relative(root, process.argv[1]) || process.argv[1],
    ...process.argv.slice(2),
  ]);
  const out = benchPaths(args.quick, args.out);
  const log = (s: string) => console.log(s);
  if (args.reportOnly) {
    // Re-renders RESULTS.md from the recorded results.json (after a change to the report's wording).
    if (!out.markdown) throw new Error("--report-only re-renders bench/RESULTS.md: not with --quick");
    const recorded = upgradeResults(JSON.parse(readFileSync(out.json, "utf8")));
    writeFileAtomic(out.markdown, renderResultsMarkdown(recorded));
    log(`wrote ${relative(root, out.markdown)} from ${relative(root, out.json)} (nothing measured)`);
    return;
  }
  const machine = machineInfo();
  log(`circuit-sparsity benchmark (${args.quick ? "quick" : "full"} mode)`);
  log(`machine: ${formatMachine(machine)}`);
  log(`command: ${command}`);
  const marches = args.builds ?? buildsToMeasure(machine.simd.split(" "));
  log(`builds of the addon to measure: ${marches.join(", ")}`);
  const builds = marches.map((march) => ({ march, ...prepareBuild(march, log) }));
  const torch = ensureTorch(log);
  const tmp = mkdtempSync(join(tmpdir(), "csp-bench-"));
  const ctx: BenchContext = {
    quick: args.quick,
    tmp,
    threads: BENCH_THREADS,
    torchUnavailable: torch.unavailable,
    log,
    torchOnce: torchMemo(log),
  };
  const previous = readPreviousResults(out.json);
  const results: BenchResults = {
    schema: 2,
    mode: args.quick ? "quick" : "full",
    date: new Date().toISOString(),
    command,
    seconds: 0,
    machine,
    torchRuntime: torch.runtime,
    builds: builds.map(({ march, simd, unavailable }): BuildResults => {
      if (unavailable) return { march, simd, unavailable, ...unmeasuredSections(unavailable) };
      // Sections not re-run (--only) keep this build's previous numbers.
      const before = previous?.builds.find((b) => b.march === march && !b.unavailable);
      return { march, simd, ...unmeasuredSections("not run"), ...pick(before) };
    }),
  };
  const measured = results.builds.filter((b) => !b.unavailable);
  /** The context of one build's measurements: our children run on it (CSP_ADDON_MARCH). */
  const on = (b: BuildResults): BenchContext => {
    log(`\n-- build ${b.march}`);
    return { ...ctx, oursEnv: { CSP_ADDON_MARCH: b.march } };
  };
  try {
    let assets: InferenceAssets | undefined;
    const inferenceSetup = args.quick ? INFERENCE_QUICK : INFERENCE_FULL;
    if (measured.length > 0 && (args.only.has("inference") || args.only.has("memory"))) {
      log(`\n== weights: ${inferenceSetup.label}`);
      assets = prepareInference(ctx, inferenceSetup);
    }
    if (args.only.has("inference")) {
      log(`\n== inference: forward of ${inferenceSetup.batch}×${inferenceSetup.tokens} tokens`);
      for (const b of measured) {
        b.inference = runInferenceBench(on(b), assets!);
        log(
          `  => ${b.march}: speedup ${fmtOrReason(b.inference.speedup, b.inference.speedup_reason)}, max |logit diff| ${fmtOrReason(b.inference.max_logit_diff, b.inference.max_logit_diff_reason)}, before the first near-tie ${fmtOrReason(b.inference.max_logit_diff_before_tie ?? null, b.inference.max_logit_diff_before_tie_reason)}, ours / floor ${fmtOrReason(b.inference.vs_floor ?? null, b.inference.vs_floor_reason)}`,
        );
      }
    }
    if (args.only.has("memory")) {
      log(`\n== memory: peak RSS of load + one forward`);
      for (const b of measured) {
        b.memory = runMemoryBench(on(b), assets!);
        log(
          `  => ${b.march}: ours/PyTorch ${fmtOrReason(b.memory.ratio, b.memory.ratio_reason)}, ours/dense fp32 ${fmtOrReason(b.memory.ours_vs_dense_fp32 ?? null, "n/a")}`,
        );
      }
    }
    if (args.only.has("training") && measured.length > 0) {
      const setup = args.quick ? TRAINING_QUICK : TRAINING_FULL;
      log(`\n== training: ${setup.label}`);
      let prepared: ReturnType<typeof prepareTraining> | undefined;
      let prepareError: string | undefined;
      try {
        prepared = prepareTraining(ctx, setup);
      } catch (e) {
        prepareError = `training benchmark failed: ${errorLine(e)}`;
      }
      let throughput: ThroughputAssets | undefined;
      let throughputError = "not measured";
      try {
        throughput = prepareThroughput(ctx);
      } catch (e) {
        throughputError = `throughput benchmark failed: ${errorLine(e)}`;
      }
      for (const b of measured) {
        let section;
        try {
          if (!prepared) throw new Error(prepareError);
          section = runTrainingBench(on(b), prepared);
        } catch (e) {
          section = unmeasuredSections(`training benchmark failed: ${errorLine(e)}`).training;
        }
        log(`  training tokens/s, sparse against dense (our engine)`);
        if (throughput) {
          const t = runThroughputBench(on(b), throughput);
          section = {
            ...section,
            sparse_vs_dense_throughput: t.sparse_vs_dense_throughput,
            sparse_vs_dense_throughput_reason: t.sparse_vs_dense_throughput_reason,
            throughput: t.throughput,
            commands: [...(section.commands ?? []), ...(t.commands ?? [])],
            cpu_busy_before: { ...section.cpu_busy_before, ...t.cpu_busy_before },
          };
        } else
          Object.assign(section, {
            sparse_vs_dense_throughput: null,
            sparse_vs_dense_throughput_reason: throughputError,
          });
        b.training = section;
        logTraining(b, log);
      }
    }
    if (args.only.has("prune") && measured.length > 0) {
      const setup = args.quick ? PRUNE_QUICK : PRUNE_FULL;
      log(`\n== pruning: ${setup.label}`);
      let prepared: PruneAssets | undefined;
      let prepareError = "not measured";
      try {
        prepared = preparePrune(on(measured[0]), setup);
      } catch (e) {
        prepareError = `pruning benchmark failed: ${errorLine(e)}`;
      }
      for (const b of measured) {
        b.prune = prepared ? runPruneBench(on(b), prepared) : unmeasuredSections(prepareError).prune;
        log(
          `  => ${b.march}: mask step ratio ${fmtOrReason(b.prune.step_ratio, b.prune.step_ratio_reason)}; prune seconds ${fmtOrReason(b.prune.seconds, b.prune.seconds_reason)}; planted circuit recovered: ${b.prune.recovered ?? "n/a"}`,
        );
      }
    }
  } finally {
    if (args.keepTmp) log(`\nkept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
  results.seconds = (performance.now() - t0) / 1000;
  writeResults(out.json, results);
  log(`\nwrote ${relative(root, out.json)}`);
  if (out.markdown) {
    writeFileAtomic(out.markdown, renderResultsMarkdown(results));
    log(`wrote ${relative(root, out.markdown)}`);
  }
  log(`total ${(results.seconds / 60).toFixed(1)} min`);
}

/** A previous run's sections of one build, to carry over those not re-run. */
function pick(
  before: BuildResults | undefined,
): Partial<Pick<BuildResults, "inference" | "training" | "memory" | "prune">> {
  return before
    ? { inference: before.inference, training: before.training, memory: before.memory, prune: before.prune }
    : {};
}

function logTraining(b: BuildResults, log: (s: string) => void): void {
  const tr = b.training;
  const ratio = (m: "exact" | "fast") =>
    fmtOrReason(tr[`run_time_ratio_${m}`] ?? null, tr[`run_time_ratio_${m}_reason`]);
  log(
    `  => ${b.march}: step speedup: exact ${fmtOrReason(tr.step_speedup_exact, tr.step_speedup_exact_reason)} (CPU ${fmtOrReason(tr.step_speedup_exact_cpu ?? null, "n/a")}); fast ${fmtOrReason(tr.step_speedup_fast, tr.step_speedup_fast_reason)} (CPU ${fmtOrReason(tr.step_speedup_fast_cpu ?? null, "n/a")})`,
  );
  log(
    `  => ${b.march}: whole run time ratio (ours/PyTorch), default mode ${tr.default_mode ?? "?"}: ${fmtOrReason(tr.run_time_ratio, tr.run_time_ratio_reason)}; exact ${ratio("exact")}, fast ${ratio("fast")}`,
  );
  log(
    `  => ${b.march}: training tokens/s ${THROUGHPUT_LABEL} in mode ${tr.default_mode ?? "?"} over dense: ${fmtOrReason(tr.sparse_vs_dense_throughput ?? null, tr.sparse_vs_dense_throughput_reason)} (fast: ${fmtOrReason(tr.throughput?.ratio_fast ?? null, "n/a")})`,
  );
  if (tr.loss_effect)
    log(
      `  => ${b.march}: loss effect: final val loss fast − exact ${tr.loss_effect.final_val_fast_minus_exact.toFixed(4)} (dense refresh every ${tr.loss_effect.dense_grad_every} steps)`,
    );
}

function fmtOrReason(v: number | null, reason: string | undefined): string {
  return v === null ? `n/a (${reason})` : v !== 0 && Math.abs(v) < 0.01 ? v.toExponential(2) : v.toFixed(3);
}

main();
