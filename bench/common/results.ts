import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../../src/io/atomic.js";
import type { MachineInfo } from "./machine.js";
import type { InferenceFloor } from "../floor.js";
import type { SparseTrainingMode } from "../ours/training.js";
import type { DiagnoseResult, InferenceResult, TrainRunResult, TrainStepResult } from "./specs.js";
import type { PruneRunResult, PruneStepResult } from "./prune_specs.js";
import type { ThroughputSection } from "../throughput.js";

/**
 * bench/results.json. One entry in `builds` per build of the native addon that was measured, each
 * with the same sections; the headline numbers sit at fixed keys of each (`inference.speedup`, ...),
 * each a number, or null with a `<key>_reason` string saying why it could not be measured (a mode
 * that does not exist yet, PyTorch missing, a child that failed, a build that could not be made).
 */
export interface BenchResults {
  schema: 2;
  mode: "full" | "quick";
  date: string;
  /** The command that produced this file. */
  command: string;
  seconds: number;
  machine: MachineInfo;
  /** torch version, threads and BLAS of the baseline (null when PyTorch is unavailable). */
  torchRuntime: Record<string, unknown> | null;
  /**
   * The builds measured (x86-64-v3 always; the machine's native build where it differs, i.e. on an
   * AVX-512 machine), each against the same PyTorch runs.
   */
  builds: BuildResults[];
}

/** The sections of one build of the addon (scripts/build-addon.mjs --march). */
export interface BuildResults {
  /** The -march it was compiled for; our children ran with CSP_ADDON_MARCH set to it. */
  march: string;
  /** The instruction sets it was compiled with (the addon's buildInfo), null if it did not load. */
  simd: { avx512f: boolean; avx2: boolean; avx: boolean; fma: boolean } | null;
  /** Why this build could not be measured (then its headline numbers are null with this reason). */
  unavailable?: string;
  inference: InferenceSection;
  training: TrainingSection;
  memory: MemorySection;
  /** Pruning at the released scale (absent in files written before it was measured). */
  prune?: PruneSection;
}

/** The three sections of a build, none measured yet (or all unmeasurable, for `reason`). */
export function unmeasuredSections(
  reason: string,
): Pick<BuildResults, "inference" | "training" | "memory"> & { prune: PruneSection } {
  return {
    inference: { ...missing("speedup", reason), ...missing("max_logit_diff", reason) },
    training: {
      ...missing("step_speedup_exact", reason),
      ...missing("step_speedup_fast", reason),
      ...missing("run_time_ratio", reason),
    },
    memory: missing("ratio", reason),
    prune: { ...missing("step_ratio", reason), ...missing("seconds", reason), recovered: null },
  };
}

export interface PruneSection extends Measured {
  /** PyTorch's median mask-training step / ours (target ≥ 5). */
  step_ratio: number | null;
  step_ratio_reason?: string;
  step_ratio_cpu?: number | null;
  /** |ours − PyTorch| of the first step's task loss (every node kept): the two steps compute the same thing. */
  first_step_loss_diff?: number;
  /** Wall seconds of one prune with csp prune's defaults (target ≤ 600); null when only a bounded run was made. */
  seconds: number | null;
  seconds_reason?: string;
  /** The whole run's seconds: measured, or the bounded run with its mask training scaled to the default steps. */
  seconds_estimate?: number;
  /** Whether the circuit the run found holds every planted node (null: no run). */
  recovered: boolean | null;
  run?: PruneRunResult;
  steps?: { ours: PruneStepResult; torch?: PruneStepResult };
  setup?: Record<string, unknown>;
}

export interface InferenceSection extends Measured {
  /** PyTorch median forward time / ours (higher is better; target ≥ 20). */
  speedup: number | null;
  speedup_reason?: string;
  /** max |logit_ours − logit_torch| over the batch (target ≤ 1e-4). */
  max_logit_diff: number | null;
  max_logit_diff_reason?: string;
  /** The speedup in process CPU seconds (all threads): a cross-check when other work shared the cores. */
  speedup_cpu?: number | null;
  /** max |logit_torch|, to read max_logit_diff against. */
  max_abs_logit?: number;
  /** Positions (of batch × tokens) whose largest logit difference exceeds 1e-4, and the first of them. */
  positions_over_1e4?: number;
  positions?: number;
  first_position_over_1e4?: number | null;
  /**
   * max |logit diff| over the positions before the first diagnosed top-k near-tie (all positions when
   * none was diagnosed, or when the first divergence is no near-tie); target ≤ 1e-4.
   */
  max_logit_diff_before_tie?: number | null;
  max_logit_diff_before_tie_reason?: string;
  /** The flattened position of that near-tie (null: none). */
  tie_position?: number | null;
  /** The machine's floor for this forward (bench/floor.ts), ms, and ours / floor (target ≤ 3). */
  floor_ms?: number;
  vs_floor?: number | null;
  vs_floor_reason?: string;
  floor?: InferenceFloor;
  /** When max_logit_diff > 1e-4: the first AbsTopK site where the sides part ways (bench/torch/diagnose.py). */
  diagnosis?: DiagnoseResult | { error: string };
  /** Which of our code paths was measured (bench/ours/inference.ts). */
  ours_path?: string;
  setup?: Record<string, unknown>;
  ours?: InferenceResult;
  torch?: InferenceResult;
}

export interface TrainingSection extends Measured {
  /** PyTorch median step time / ours with sparse training mode "exact" (target ≥ 5). */
  step_speedup_exact: number | null;
  step_speedup_exact_reason?: string;
  /** step_speedup_exact in process CPU seconds (cross-check under contention). */
  step_speedup_exact_cpu?: number | null;
  /**
   * The same with mode "fast": the median of the timed steps, which are masked-gradient steps unless a
   * dense refresh (step i with i % dense_grad_every = 0) falls among them; the whole run pays the refreshes.
   */
  step_speedup_fast: number | null;
  step_speedup_fast_reason?: string;
  step_speedup_fast_cpu?: number | null;
  /**
   * Our training time to reach L* / PyTorch's, L* = the worse of the two final validation losses
   * (target ≤ 1/3), for the engine's default mode (`default_mode`). See `run_definition`.
   */
  run_time_ratio: number | null;
  run_time_ratio_reason?: string;
  /** run_time_ratio in process CPU seconds (cross-check under contention). */
  run_time_ratio_cpu?: number | null;
  /** The same ratio per mode, each against the same PyTorch run (L* of that pair). */
  run_time_ratio_exact?: number | null;
  run_time_ratio_exact_reason?: string;
  run_time_ratio_exact_cpu?: number | null;
  run_time_ratio_fast?: number | null;
  run_time_ratio_fast_reason?: string;
  run_time_ratio_fast_cpu?: number | null;
  /** The engine's default weight_grad_mode (DEFAULT_TRAINING_MODE of the presets), whose ratio is run_time_ratio. */
  default_mode?: SparseTrainingMode;
  run_definition?: string;
  /** The whole run of the default mode (same object as runs[default_mode]). */
  run?: RunComparison;
  /** The whole run of each mode that ran, with its comparison against PyTorch where PyTorch ran. */
  runs?: Partial<Record<SparseTrainingMode, RunComparison | OursRunOnly>>;
  /** The measured loss effect of "fast" against "exact" (same init, batches and evaluations). */
  loss_effect?: LossEffect;
  steps?: { ours: Record<string, TrainStepResult>; torch?: TrainStepResult };
  setup?: Record<string, unknown>;
  /**
   * Training tokens/s of the widest zoo sparse preset in the default mode over a dense model of the same
   * shape on our engine (target ≥ 3); details in `throughput`.
   */
  sparse_vs_dense_throughput?: number | null;
  sparse_vs_dense_throughput_reason?: string;
  throughput?: ThroughputSection;
}

/** One of our whole runs against PyTorch's. */
export interface RunComparison {
  oursTrainer: string;
  targetLoss: number;
  /** Only evaluations after this many steps (the weights at the target sparsity) count. */
  minSteps: number;
  oursSecondsToTarget: number;
  torchSecondsToTarget: number;
  ours: TrainRunResult;
  torch: TrainRunResult;
}

/** One of our whole runs when PyTorch's run is missing (no ratio). */
export interface OursRunOnly {
  oursTrainer: string;
  ours: TrainRunResult;
}

/** Validation loss of mode "fast" minus mode "exact" at every evaluation of the whole run. */
export interface LossEffect {
  /** Final validation loss, fast − exact (positive: fast ends worse). */
  final_val_fast_minus_exact: number;
  /** Per evaluation (same steps, same validation windows). */
  by_eval: { steps: number; exact: number; fast: number; fast_minus_exact: number }[];
  /**
   * max over evaluations of |exact − PyTorch|: how far two implementations of the same maths drift in
   * fp32 on this run, the scale against which to read the fast − exact gap (absent without PyTorch).
   */
  max_abs_exact_minus_torch?: number;
  /** The recipe's dense_grad_every (fast mode's dense refresh period). */
  dense_grad_every: number;
}

export interface MemorySection extends Measured {
  /** Our peak RSS / PyTorch's for csp_yolo2 load + one forward (target ≤ 1/8: dense fp32 is the yardstick). */
  ratio: number | null;
  ratio_reason?: string;
  ours_peak_rss_bytes?: number | null;
  torch_peak_rss_bytes?: number | null;
  /** 4 bytes × every parameter: the dense fp32 model. */
  dense_fp32_bytes?: number;
  /** Our peak RSS / dense_fp32_bytes. */
  ours_vs_dense_fp32?: number | null;
  training_peak_rss_bytes?: { ours: Record<string, number | null>; torch: number | null };
}

/** What every section keeps about the child processes it ran. */
export interface Measured {
  commands?: string[];
  /** Per measurement: fraction of the cores other processes kept busy just before it (see common/quiet.ts). */
  cpu_busy_before?: Record<string, number | null>;
}

/** Records a finished child in its section. */
export function noteChild(
  section: Measured,
  label: string,
  o: { command: string; otherCpuBusy: number | null },
): void {
  (section.commands ??= []).push(o.command);
  (section.cpu_busy_before ??= {})[label] =
    o.otherCpuBusy === null ? null : Math.round(o.otherCpuBusy * 100) / 100;
}

/** The headline keys, as "section.key". */
export const HEADLINE_KEYS = [
  "inference.speedup",
  "inference.max_logit_diff",
  "training.step_speedup_exact",
  "training.step_speedup_fast",
  "training.run_time_ratio",
  "memory.ratio",
] as const;

/** Problems with a results object's builds and their headline keys (empty = fine). */
export function headlineProblems(results: unknown): string[] {
  const builds = (results as { builds?: unknown } | null)?.builds;
  if (!Array.isArray(builds) || builds.length === 0) return ["builds: missing or empty"];
  return builds.flatMap((b: unknown, i) => {
    const march = (b as { march?: unknown } | null)?.march;
    const prefix = typeof march === "string" ? `builds[${i}] (${march})` : `builds[${i}]`;
    const problems = typeof march === "string" ? [] : [`${prefix}: march must be a string`];
    return [...problems, ...sectionProblems(b).map((p) => `${prefix} ${p}`)];
  });
}

/** Problems with one build's headline keys. */
function sectionProblems(build: unknown): string[] {
  const problems: string[] = [];
  const root = build as Record<string, Record<string, unknown> | undefined>;
  for (const key of HEADLINE_KEYS) {
    const [section, field] = key.split(".");
    const s = root?.[section];
    if (typeof s !== "object" || s === null) {
      const problem = `${section}: missing section`;
      if (!problems.includes(problem)) problems.push(problem);
      continue;
    }
    const v = s[field];
    if (v === null) {
      const reason = s[`${field}_reason`];
      if (typeof reason !== "string" || reason.length === 0)
        problems.push(`${key}: null without ${field}_reason`);
    } else if (typeof v !== "number" || !Number.isFinite(v)) {
      problems.push(`${key}: must be a finite number or null, got ${JSON.stringify(v)}`);
    }
  }
  return problems;
}

/**
 * A results object in the current schema. Files written before builds were recorded (schema 1: the
 * sections at the top level) become one build, "native" (the only build the benchmark then measured),
 * with unknown instruction sets.
 */
export function upgradeResults(raw: unknown): BenchResults {
  const r = raw as { schema?: number } & Record<string, unknown>;
  if (r?.schema !== 1) return raw as BenchResults;
  const { inference, training, memory, ...rest } = r as unknown as Omit<BenchResults, "schema" | "builds"> &
    Pick<BuildResults, "inference" | "training" | "memory">;
  return { ...rest, schema: 2, builds: [{ march: "native", simd: null, inference, training, memory }] };
}

/** A headline value that could not be measured: null plus its reason, ready to spread into a section. */
export function missing<K extends string>(
  field: K,
  reason: string,
): Record<K, null> & Record<`${K}_reason`, string> {
  return { [field]: null, [`${field}_reason`]: reason } as Record<K, null> & Record<`${K}_reason`, string>;
}

/** Writes results.json atomically after checking every headline key; refuses a malformed object. */
export function writeResults(path: string, results: BenchResults): void {
  const problems = headlineProblems(results);
  if (problems.length > 0) throw new Error(`refusing to write ${path}: ${problems.join("; ")}`);
  writeFileAtomic(path, JSON.stringify(results, null, 2) + "\n");
}

/** A previous results file, if there is a readable one (sections not re-run are carried over). */
export function readPreviousResults(path: string): BenchResults | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const r = upgradeResults(JSON.parse(readFileSync(path, "utf8")));
    return headlineProblems(r).length === 0 ? r : undefined;
  } catch {
    return undefined;
  }
}
