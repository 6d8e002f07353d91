import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeSafetensors } from "../src/io/safetensors.js";
import { saveModel } from "../src/model/checkpoint.js";
import { modelDims, parseConfig } from "../src/model/config.js";
import { parameterSpecs } from "../src/model/params.js";
import { initModel } from "../src/train/init.js";
import { l0Fraction, pfracAt } from "../src/train/schedule.js";
import { parseTrainConfig, type TrainConfig } from "../src/train/train_config.js";
import type { TrainingSetup } from "./configs.js";
import { errorLine, type BenchContext } from "./common/context.js";
import { runOursChild, runTorchChild } from "./common/proc.js";
import { missing, noteChild, type TrainingSection } from "./common/results.js";
import type { TrainRunResult, TrainRunSpec, TrainStepResult, TrainStepSpec } from "./common/specs.js";
import { sampleWindows, syntheticTokens } from "./data.js";
import { SPARSE_TRAINING, currentTrainer, isAvailable, runTrainer } from "./ours/training.js";
import { RUN_RATIO_DEFINITION, runTimeRatio, stepsToTargetSparsity } from "./run_ratio.js";

export interface TrainingAssets {
  setup: TrainingSetup;
  train: TrainConfig;
  initDir: string;
  data: string;
  cost: TrainingCost;
}

/** What one step costs in the dense formulation, and how sparse the weight matrices are over the run. */
export interface TrainingCost {
  params: number;
  /** Multiply-adds per token of every linear layer (attention/MLP matrices and lm_head), dense. */
  linearMacsPerToken: number;
  /** Causal attention multiply-adds per sequence (QKᵀ and PV, all layers), forward. */
  attentionMacsPerSequence: number;
  /** Kept fraction of a weight matrix at the target (pfrac/(ef·efm)). */
  targetWeightDensity: number;
  /** Mean over the run's S+1 steps of the weight matrices' kept fraction (the anneal starts dense). */
  meanWeightDensityOverRun: number;
}

export function trainingCost(model: Record<string, unknown>, train: TrainConfig): TrainingCost {
  const { config } = parseConfig(model, "benchmark training model");
  const d = modelDims(config);
  let params = 0;
  for (const s of parameterSpecs(config, d))
    if (s.role === "param") params += s.shape.reduce((a, b) => a * b, 1);
  const perLayer = 3 * d.dAttn * d.dModelIn + d.dModel * d.dAttn + d.dMlp * d.dModelIn + d.dModel * d.dMlp;
  const t = train.n_ctx;
  let densitySum = 0;
  for (let i = 0; i <= train.total_steps; i++) densitySum += l0Fraction("weight", pfracAt(i, train), train);
  return {
    params,
    linearMacsPerToken: d.nLayer * perLayer + d.vocab * d.dModel,
    attentionMacsPerSequence: d.nLayer * 2 * d.nHead * d.dHead * ((t * (t + 1)) / 2),
    targetWeightDensity: l0Fraction("weight", train.pfrac ?? 1, train),
    meanWeightDensityOverRun: densitySum / (train.total_steps + 1),
  };
}

/** Initial weights (our initialiser, seeded) and the token batches, written once for both sides. */
export function prepareTraining(ctx: BenchContext, setup: TrainingSetup): TrainingAssets {
  const dir = join(ctx.tmp, "training");
  mkdirSync(dir, { recursive: true });
  const { config } = parseConfig(setup.model, "benchmark training model");
  const { config: train } = parseTrainConfig(
    { ...setup.train, eval_every: 0, checkpoint_every: 0 },
    "benchmark training recipe",
  );
  const initDir = join(dir, "init");
  saveModel(initDir, initModel(config, train.seed));
  const b = train.global_bs;
  const t = train.n_ctx;
  const steps = Math.max(train.total_steps + 1, setup.stepWarmup + setup.stepTimed);
  const vocab = config.vocab_size;
  const trainStream = syntheticTokens(Math.max(200_000, 4 * steps * b * t), vocab, setup.dataSeed);
  const valStream = syntheticTokens(50_000, vocab, setup.dataSeed + 1);
  const data = join(dir, "data.safetensors");
  writeSafetensors(
    data,
    new Map([
      [
        "train",
        {
          dtype: "I32",
          shape: [steps, b, t],
          data: sampleWindows(trainStream, steps * b, t, setup.dataSeed + 2),
        },
      ],
      [
        "val",
        {
          dtype: "I32",
          shape: [setup.valWindows, t],
          data: sampleWindows(valStream, setup.valWindows, t, setup.dataSeed + 3),
        },
      ],
    ]),
  );
  return { setup, train, initDir, data, cost: trainingCost(setup.model, train) };
}

/** Step time at the target sparsity for each trainer, and the whole run to equal validation loss. */
export function runTrainingBench(ctx: BenchContext, a: TrainingAssets): TrainingSection {
  const dir = join(ctx.tmp, "training");
  const { setup } = a;
  const base = { initDir: a.initDir, data: a.data, train: a.train, threads: ctx.threads };
  const stepSpec = (trainer: string, side: string): TrainStepSpec => ({
    ...base,
    trainer,
    warmup: setup.stepWarmup,
    timed: setup.stepTimed,
    out: join(dir, `step-${side}.json`),
  });
  const section: TrainingSection = {
    ...missing("step_speedup_exact", "not measured"),
    ...missing("step_speedup_fast", "not measured"),
    ...missing("step_speedup_current", "not measured"),
    ...missing("run_time_ratio", "not measured"),
    run_definition: RUN_RATIO_DEFINITION,
    setup: {
      model: setup.label,
      recipe: a.train,
      stepWarmup: setup.stepWarmup,
      stepTimed: setup.stepTimed,
      evalEvery: setup.evalEvery,
      valWindows: setup.valWindows,
      data: "bench/data.ts syntheticTokens (seeded sparse Markov chain + span copies)",
      cost: a.cost,
    },
  };

  // ---- step timing at the target sparsity
  const oursSteps: Record<string, TrainStepResult> = {};
  const trainers = [currentTrainer, ...Object.values(SPARSE_TRAINING).filter(isAvailable)];
  const stepFailures: Record<string, string> = {};
  for (const tr of trainers) {
    try {
      ctx.log(`  ours step timing (${tr.name}): ${setup.stepWarmup} warmup + ${setup.stepTimed} timed steps`);
      const o = runOursChild<TrainStepResult>(
        "train-step",
        stepSpec(tr.name, tr.name),
        join(dir, `spec-step-${tr.name}.json`),
      );
      noteChild(section, `step ${tr.name}`, o);
      oursSteps[tr.name] = o.result;
      ctx.log(`  ours (${tr.name}): median step ${o.result.medianSeconds.toFixed(2)} s`);
    } catch (e) {
      stepFailures[tr.name] = `our side (${tr.name}) failed: ${errorLine(e)}`;
    }
  }
  let torchStep: TrainStepResult | undefined;
  let torchFailure = ctx.torchUnavailable;
  if (!torchFailure) {
    try {
      ctx.log(`  torch step timing: ${setup.stepWarmup} warmup + ${setup.stepTimed} timed steps`);
      const t = runTorchChild<TrainStepResult>(
        ["train.py", "step"],
        stepSpec("torch", "torch"),
        join(dir, "spec-step-torch.json"),
      );
      noteChild(section, "step torch", t);
      torchStep = t.result;
      ctx.log(`  torch: median step ${t.result.medianSeconds.toFixed(2)} s`);
    } catch (e) {
      torchFailure = `PyTorch side failed: ${errorLine(e)}`;
    }
  }
  if (torchStep) section.steps = { ours: oursSteps, torch: torchStep };
  const speedup = (name: string): { value: number } | { reason: string } => {
    if (torchFailure) return { reason: torchFailure };
    if (stepFailures[name]) return { reason: stepFailures[name] };
    const o = oursSteps[name];
    return o ? { value: torchStep!.medianSeconds / o.medianSeconds } : { reason: `no trainer "${name}"` };
  };
  const put = (
    field: "step_speedup_exact" | "step_speedup_fast" | "step_speedup_current",
    name: string | { unavailable: string },
  ) => {
    const r = typeof name === "string" ? speedup(name) : { reason: name.unavailable };
    Object.assign(
      section,
      "value" in r ? { [field]: r.value, [`${field}_reason`]: undefined } : missing(field, r.reason),
    );
  };
  put("step_speedup_current", currentTrainer.name);
  const current = oursSteps[currentTrainer.name];
  if (torchStep && current)
    section.step_speedup_current_cpu = torchStep.medianCpuSeconds / current.medianCpuSeconds;
  for (const mode of ["exact", "fast"] as const) {
    const t = SPARSE_TRAINING[mode];
    put(`step_speedup_${mode}`, isAvailable(t) ? t.name : t);
  }

  // ---- whole run to equal validation loss
  const trainer = runTrainer();
  const runSpec = (side: string): TrainRunSpec => ({
    ...base,
    trainer: trainer.name,
    evalEvery: setup.evalEvery,
    evalBatch: a.train.global_bs,
    out: join(dir, `run-${side}.json`),
  });
  let oursRun: TrainRunResult;
  try {
    ctx.log(
      `  ours whole run (${trainer.name}): ${a.train.total_steps + 1} steps, validation every ${setup.evalEvery}`,
    );
    const o = runOursChild<TrainRunResult>("train-run", runSpec("ours"), join(dir, "spec-run-ours.json"));
    noteChild(section, `run ${trainer.name}`, o);
    oursRun = o.result;
  } catch (e) {
    return { ...section, ...missing("run_time_ratio", `our side failed: ${errorLine(e)}`) };
  }
  if (torchFailure) return { ...section, ...missing("run_time_ratio", torchFailure) };
  let torchRun: TrainRunResult;
  try {
    ctx.log(`  torch whole run: ${a.train.total_steps + 1} steps, validation every ${setup.evalEvery}`);
    const t = runTorchChild<TrainRunResult>(
      ["train.py", "run"],
      runSpec("torch"),
      join(dir, "spec-run-torch.json"),
    );
    noteChild(section, "run torch", t);
    torchRun = t.result;
  } catch (e) {
    return { ...section, ...missing("run_time_ratio", `PyTorch side failed: ${errorLine(e)}`) };
  }
  const minSteps = stepsToTargetSparsity(a.train);
  const r = runTimeRatio(oursRun.evals, torchRun.evals, { minSteps });
  section.run_time_ratio_cpu = runTimeRatio(oursRun.evals, torchRun.evals, {
    minSteps,
    clock: "trainCpuSeconds",
  }).ratio;
  ctx.log(
    `  L* = ${r.targetLoss.toFixed(4)}: ours ${r.oursSeconds.toFixed(1)} s, torch ${r.torchSeconds.toFixed(1)} s ` +
      `(final val: ours ${oursRun.evals.at(-1)!.valLoss.toFixed(4)}, torch ${torchRun.evals.at(-1)!.valLoss.toFixed(4)})`,
  );
  section.run = {
    oursTrainer: trainer.name,
    targetLoss: r.targetLoss,
    minSteps,
    oursSecondsToTarget: r.oursSeconds,
    torchSecondsToTarget: r.torchSeconds,
    ours: oursRun,
    torch: torchRun,
  };
  return r.ratio === null
    ? { ...section, ...missing("run_time_ratio", r.reason!) }
    : { ...section, run_time_ratio: r.ratio, run_time_ratio_reason: undefined };
}
