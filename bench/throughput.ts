import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeSafetensors } from "../src/io/safetensors.js";
import { saveModel } from "../src/model/checkpoint.js";
import { parseConfig } from "../src/model/config.js";
import { initModel } from "../src/train/init.js";
import { DEFAULT_TRAINING_MODE, getPreset } from "../src/train/presets.js";
import type { TrainConfig } from "../src/train/train_config.js";
import { errorLine, type BenchContext } from "./common/context.js";
import { runOursChild } from "./common/proc.js";
import { noteChild, type TrainingSection } from "./common/results.js";
import type { TrainStepResult, TrainStepSpec } from "./common/specs.js";
import { sampleWindows, syntheticTokens } from "./data.js";
import { zooWholeRun, type ZooWholeRun } from "./zoo_runs.js";

/** The preset measured: the science issue's widest sparse zoo preset (weight matrices keep 1/256). */
export const THROUGHPUT_PRESET = "zoo-sparse-ef4";

/** The three trainers compared, all on our engine with the same shape, init and batches. */
export const THROUGHPUT_RUNS = ["exact", "fast", "dense"] as const;
export type ThroughputRun = (typeof THROUGHPUT_RUNS)[number];

export interface ThroughputSection {
  preset: string;
  tokensPerStep: number;
  /** Steps timed (after `warmup`): one refresh period of fast mode, so its mean pays one dense refresh. */
  warmup: number;
  timed: number;
  /** Per trainer: mean seconds per timed step and training tokens per second. */
  runs: Partial<
    Record<ThroughputRun, { meanSeconds: number; tokensPerSecond: number; step: TrainStepResult }>
  >;
  /** tokens/s of each sparse mode over the dense model's. */
  ratio_exact?: number | null;
  ratio_fast?: number | null;
  default_mode: string;
  /** The whole run to equal validation loss, from the committed zoo (not retrained). */
  whole_run?: ZooWholeRun | { error: string };
  reasons?: Record<string, string>;
}

export interface ThroughputAssets {
  initDir: string;
  data: string;
  sparse: TrainConfig;
  dense: TrainConfig;
  tokensPerStep: number;
  warmup: number;
  timed: number;
}

/**
 * The preset's model, one initialisation for all three trainers, and the batches. The dense model is
 * the preset as `csp train --dense` makes it: no top-k, no anneal, no sharkfin factor (same shape, so
 * the same total parameters). Quick mode: batch 4 instead of 16.
 */
export function prepareThroughput(ctx: BenchContext): ThroughputAssets {
  const dir = join(ctx.tmp, "throughput");
  mkdirSync(dir, { recursive: true });
  const preset = getPreset(THROUGHPUT_PRESET);
  const { config } = parseConfig(preset.model, `preset ${THROUGHPUT_PRESET}`);
  const base: TrainConfig = {
    ...preset.train,
    global_bs: ctx.quick ? 4 : preset.train.global_bs,
    eval_every: 0,
    checkpoint_every: 0,
  };
  const sparse = { ...base };
  const dense: TrainConfig = {
    ...base,
    pfrac: null,
    pfrac_anneal: false,
    pfrac_anneal_schedule_lr_with_L0: false,
    weight_grad_mode: "exact",
  };
  const initDir = join(dir, "init");
  saveModel(initDir, initModel(config, base.seed));
  const warmup = 1;
  const timed = base.dense_grad_every;
  const steps = warmup + timed;
  const b = base.global_bs;
  const t = base.n_ctx;
  const stream = syntheticTokens(Math.max(200_000, 4 * steps * b * t), config.vocab_size, 11);
  const data = join(dir, "data.safetensors");
  writeSafetensors(
    data,
    new Map([
      [
        "train",
        { dtype: "I32" as const, shape: [steps, b, t], data: sampleWindows(stream, steps * b, t, 12) },
      ],
    ]),
  );
  return { initDir, data, sparse, dense, tokensPerStep: b * t, warmup, timed };
}

/**
 * Training tokens/s of the preset in each sparse mode and of the dense model of the same shape, on this
 * build; training.sparse_vs_dense_throughput is the default mode's ratio.
 */
export function runThroughputBench(
  ctx: BenchContext,
  a: ThroughputAssets,
): Pick<TrainingSection, "sparse_vs_dense_throughput" | "sparse_vs_dense_throughput_reason" | "throughput"> &
  Pick<TrainingSection, "commands" | "cpu_busy_before"> {
  const dir = join(ctx.tmp, "throughput");
  const section: ThroughputSection = {
    preset: THROUGHPUT_PRESET,
    tokensPerStep: a.tokensPerStep,
    warmup: a.warmup,
    timed: a.timed,
    runs: {},
    default_mode: DEFAULT_TRAINING_MODE,
    reasons: {},
  };
  const measured: Pick<TrainingSection, "commands" | "cpu_busy_before"> = {};
  for (const run of THROUGHPUT_RUNS) {
    const spec: TrainStepSpec = {
      initDir: a.initDir,
      data: a.data,
      train: run === "dense" ? a.dense : a.sparse,
      threads: ctx.threads,
      trainer: run === "dense" ? "exact" : run,
      warmup: a.warmup,
      timed: a.timed,
      out: join(dir, `step-${run}.json`),
    };
    try {
      ctx.log(`  ${THROUGHPUT_PRESET} ${run}: ${a.warmup} warmup + ${a.timed} timed steps`);
      const o = runOursChild<TrainStepResult>("train-step", spec, join(dir, `spec-${run}.json`), ctx.oursEnv);
      noteChild(measured, `throughput ${run}`, o);
      const meanSeconds = o.result.times.reduce((s, x) => s + x, 0) / o.result.times.length;
      section.runs[run] = { meanSeconds, tokensPerSecond: a.tokensPerStep / meanSeconds, step: o.result };
      ctx.log(
        `  ${run}: ${(a.tokensPerStep / meanSeconds).toFixed(0)} tokens/s (mean step ${meanSeconds.toFixed(3)} s)`,
      );
    } catch (e) {
      section.reasons![run] = `failed: ${errorLine(e)}`;
    }
  }
  const dense = section.runs.dense;
  for (const mode of ["exact", "fast"] as const) {
    const r = section.runs[mode];
    section[`ratio_${mode}`] = r && dense ? r.tokensPerSecond / dense.tokensPerSecond : null;
  }
  try {
    section.whole_run = zooWholeRun();
  } catch (e) {
    section.whole_run = { error: errorLine(e) };
  }
  const value = section[`ratio_${DEFAULT_TRAINING_MODE}` as "ratio_exact" | "ratio_fast"] ?? null;
  const reason =
    value !== null
      ? undefined
      : (section.reasons![DEFAULT_TRAINING_MODE] ?? section.reasons!.dense ?? "not measured");
  return {
    ...measured,
    sparse_vs_dense_throughput: value,
    sparse_vs_dense_throughput_reason: reason,
    throughput: section,
  };
}
