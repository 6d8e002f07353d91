import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { PRUNE_JOB_DEFAULTS } from "../src/prune/run.js";
import type { PruneSetup } from "./configs.js";
import { errorLine, torchMeasurement, type BenchContext } from "./common/context.js";
import { runOursChild, runTorchChild } from "./common/proc.js";
import type {
  PruneFiles,
  PruneRunResult,
  PruneRunSpec,
  PruneSetupResult,
  PruneSetupSpec,
  PruneStepResult,
  PruneStepSpec,
} from "./common/prune_specs.js";
import { missing, noteChild, type PruneSection } from "./common/results.js";

export interface PruneAssets {
  setup: PruneSetup;
  files: PruneFiles;
  made: PruneSetupResult;
}

/** Writes the planted model, its task and means once (a child on the first build), for every measurement. */
export function preparePrune(ctx: BenchContext, setup: PruneSetup): PruneAssets {
  const dir = join(ctx.tmp, "prune");
  mkdirSync(dir, { recursive: true });
  const files: PruneFiles = {
    modelDir: join(dir, "model"),
    taskFile: join(dir, "task.safetensors"),
    meansFile: join(dir, "means.safetensors"),
  };
  const spec: PruneSetupSpec = {
    ...files,
    model: setup.model,
    pairs: setup.pairs,
    means: setup.means,
    out: join(dir, "setup.json"),
  };
  const o = runOursChild<PruneSetupResult>("prune-setup", spec, join(dir, "spec-setup.json"), ctx.oursEnv);
  ctx.log(
    `  planted model: ${o.result.nodes} nodes, matrices ${o.result.matrixNonzeros} nonzero of ${o.result.matrixEntries} (1/${Math.round(o.result.matrixEntries / o.result.matrixNonzeros)}); made in ${o.result.seconds.toFixed(1)} s`,
  );
  return { setup, files, made: o.result };
}

/**
 * One mask-training step, ours against PyTorch's (same model, batch, means and settings), and one prune
 * run with csp prune's defaults: the whole run where its estimate fits setup.fullRunMaxSeconds, else
 * one with fewer mask steps and an estimate of the whole run from it and the step time.
 */
export function runPruneBench(ctx: BenchContext, a: PruneAssets): PruneSection {
  const dir = join(ctx.tmp, "prune");
  const { setup } = a;
  const mask = PRUNE_JOB_DEFAULTS.mask;
  const section: PruneSection = {
    ...missing("step_ratio", "not measured"),
    ...missing("seconds", "not measured"),
    recovered: null,
    setup: {
      model: setup.label,
      shape: setup.model,
      nodes: a.made.nodes,
      matrixNonzeros: a.made.matrixNonzeros,
      matrixEntries: a.made.matrixEntries,
      stepPairs: mask.batch_pairs,
      trainPairs: setup.trainPairs,
      defaultMaskSteps: mask.steps,
    },
  };
  const stepSpec = (side: string): PruneStepSpec => ({
    ...a.files,
    pairs: mask.batch_pairs,
    mask,
    warmup: setup.stepWarmup,
    timed: setup.stepTimed,
    threads: ctx.threads,
    out: join(dir, `step-${side}.json`),
  });
  let ours: PruneStepResult | undefined;
  try {
    ctx.log(`  ours mask-training step: ${setup.stepWarmup} warmup + ${setup.stepTimed} timed`);
    const o = runOursChild<PruneStepResult>(
      "prune-step",
      stepSpec("ours"),
      join(dir, "spec-step-ours.json"),
      ctx.oursEnv,
    );
    noteChild(section, "step ours", o);
    ours = o.result;
    ctx.log(`  ours: median step ${ours.medianSeconds.toFixed(2)} s`);
  } catch (e) {
    Object.assign(section, missing("step_ratio", `our side failed: ${errorLine(e)}`));
  }
  if (ours && ctx.torchUnavailable) Object.assign(section, missing("step_ratio", ctx.torchUnavailable));
  else if (ours) {
    try {
      ctx.log(`  torch mask-training step: ${setup.stepWarmup} warmup + ${setup.stepTimed} timed`);
      const t = torchMeasurement(ctx, "prune step", () =>
        runTorchChild<PruneStepResult>(
          ["prune_step.py"],
          stepSpec("torch"),
          join(dir, "spec-step-torch.json"),
        ),
      );
      noteChild(section, "step torch", t);
      section.steps = { ours, torch: t.result };
      section.step_ratio = t.result.medianSeconds / ours.medianSeconds;
      section.step_ratio_reason = undefined;
      section.step_ratio_cpu = t.result.medianCpuSeconds / ours.medianCpuSeconds;
      // Step 0 keeps every node (τ starts at ≈ 0.1 on both sides): the same loss up to fp32 rounding.
      section.first_step_loss_diff = Math.abs(ours.losses[0] - t.result.losses[0]);
      ctx.log(
        `  torch: median step ${t.result.medianSeconds.toFixed(2)} s; ratio ${section.step_ratio.toFixed(2)}; first-step loss ours ${ours.losses[0].toFixed(5)}, torch ${t.result.losses[0].toFixed(5)}`,
      );
    } catch (e) {
      section.steps = { ours };
      Object.assign(section, missing("step_ratio", `PyTorch side failed: ${errorLine(e)}`));
    }
  }
  if (!ours) return section;
  section.steps ??= { ours };

  // The whole prune: its mask training alone is steps × the step time; the other phases (bisection,
  // repair, effects, calibration) are forwards without backward, estimated at half again.
  const estimate = ours.medianSeconds * mask.steps * 1.5;
  const full = estimate <= setup.fullRunMaxSeconds;
  const maskSteps = full ? mask.steps : setup.boundedMaskSteps;
  const runSpec: PruneRunSpec = {
    ...a.files,
    trainPairs: setup.trainPairs,
    maskSteps,
    threads: ctx.threads,
    out: join(dir, "run-ours.json"),
  };
  try {
    ctx.log(
      full
        ? `  ours prune run with the defaults (${maskSteps} mask steps; estimated ${estimate.toFixed(0)} s)`
        : `  ours bounded prune run: ${maskSteps} mask steps instead of ${mask.steps} (the whole run is estimated at ${estimate.toFixed(0)} s, over the ${setup.fullRunMaxSeconds} s this benchmark spends)`,
    );
    const o = runOursChild<PruneRunResult>("prune-run", runSpec, join(dir, "spec-run.json"), ctx.oursEnv);
    noteChild(section, "run", o);
    const r = o.result;
    section.run = r;
    section.recovered = r.plantedMissing.length === 0;
    const training = r.phases.filter((p) => /train/i.test(p.label)).reduce((s, p) => s + p.seconds, 0);
    // The whole run: the measured run with its mask training scaled to the default number of steps.
    section.seconds_estimate = full
      ? r.seconds
      : r.seconds + (training / maskSteps) * (mask.steps - maskSteps);
    if (full) {
      section.seconds = r.seconds;
      section.seconds_reason = undefined;
    } else
      Object.assign(
        section,
        missing(
          "seconds",
          `bounded run: ${maskSteps} of ${mask.steps} mask steps took ${r.seconds.toFixed(0)} s; the whole run is estimated at ${section.seconds_estimate.toFixed(0)} s`,
        ),
      );
    ctx.log(
      `  prune run: ${r.seconds.toFixed(1)} s, circuit ${r.k}/${r.nodes} nodes, reached ${r.reached}, planted nodes missing: ${r.plantedMissing.join(", ") || "none"}`,
    );
  } catch (e) {
    Object.assign(section, missing("seconds", `the prune run failed: ${errorLine(e)}`));
  }
  return section;
}
