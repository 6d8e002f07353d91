import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeSafetensors } from "../src/io/safetensors.js";
import { saveModel } from "../src/model/checkpoint.js";
import { modelDims, parseConfig } from "../src/model/config.js";
import { parameterSpecs } from "../src/model/params.js";
import { initModel } from "../src/train/init.js";
import { l0Fraction, pfracAt } from "../src/train/schedule.js";
import { DEFAULT_TRAINING_MODE } from "../src/train/presets.js";
import { parseTrainConfig, type TrainConfig } from "../src/train/train_config.js";
import type { TrainingSetup } from "./configs.js";
import { errorLine, torchMeasurement, type BenchContext } from "./common/context.js";
import { runOursChild, runTorchChild } from "./common/proc.js";
import { missing, noteChild, type LossEffect, type TrainingSection } from "./common/results.js";
import type {
  EvalPoint,
  TrainRunResult,
  TrainRunSpec,
  TrainStepResult,
  TrainStepSpec,
} from "./common/specs.js";
import { sampleWindows, syntheticTokens } from "./data.js";
import { SPARSE_TRAINING, TRAINING_MODES, isAvailable, type SparseTrainingMode } from "./ours/training.js";
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

type Outcome<T> = { value: T } | { reason: string };

/**
 * Step time at the target sparsity for each training mode and PyTorch; the whole run to equal
 * validation loss for each mode against one PyTorch run; and the loss effect of "fast" against "exact".
 */
export function runTrainingBench(ctx: BenchContext, a: TrainingAssets): TrainingSection {
  const dir = join(ctx.tmp, "training");
  const { setup } = a;
  const base = { initDir: a.initDir, data: a.data, train: a.train, threads: ctx.threads };
  const defaultMode = DEFAULT_TRAINING_MODE;
  const section: TrainingSection = {
    ...missing("step_speedup_exact", "not measured"),
    ...missing("step_speedup_fast", "not measured"),
    ...missing("run_time_ratio", "not measured"),
    default_mode: defaultMode,
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
      modes: Object.fromEntries(
        TRAINING_MODES.map((m) => {
          const t = SPARSE_TRAINING[m];
          return [m, isAvailable(t) ? t.description : `unavailable: ${t.unavailable}`];
        }),
      ),
    },
  };

  // ---- step timing at the target sparsity
  const stepSpec = (trainer: string, side: string): TrainStepSpec => ({
    ...base,
    trainer,
    warmup: setup.stepWarmup,
    timed: setup.stepTimed,
    out: join(dir, `step-${side}.json`),
  });
  const oursSteps = new Map<SparseTrainingMode, Outcome<TrainStepResult>>();
  for (const mode of TRAINING_MODES) {
    const tr = SPARSE_TRAINING[mode];
    if (!isAvailable(tr)) {
      oursSteps.set(mode, { reason: tr.unavailable });
      continue;
    }
    try {
      ctx.log(`  ours step timing (${mode}): ${setup.stepWarmup} warmup + ${setup.stepTimed} timed steps`);
      const o = runOursChild<TrainStepResult>(
        "train-step",
        stepSpec(tr.name, mode),
        join(dir, `spec-step-${mode}.json`),
        ctx.oursEnv,
      );
      noteChild(section, `step ${mode}`, o);
      oursSteps.set(mode, { value: o.result });
      ctx.log(`  ours (${mode}): median step ${o.result.medianSeconds.toFixed(2)} s`);
    } catch (e) {
      oursSteps.set(mode, { reason: `our side (${mode}) failed: ${errorLine(e)}` });
    }
  }
  let torchStep: Outcome<TrainStepResult> = { reason: ctx.torchUnavailable ?? "" };
  if (!ctx.torchUnavailable) {
    try {
      ctx.log(`  torch step timing: ${setup.stepWarmup} warmup + ${setup.stepTimed} timed steps`);
      const t = torchMeasurement(ctx, "training step", () =>
        runTorchChild<TrainStepResult>(
          ["train.py", "step"],
          stepSpec("torch", "torch"),
          join(dir, "spec-step-torch.json"),
        ),
      );
      noteChild(section, "step torch", t);
      torchStep = { value: t.result };
      ctx.log(`  torch: median step ${t.result.medianSeconds.toFixed(2)} s`);
    } catch (e) {
      torchStep = { reason: `PyTorch side failed: ${errorLine(e)}` };
    }
  }
  section.steps = {
    ours: Object.fromEntries(
      [...oursSteps].flatMap(([m, o]) => ("value" in o ? [[m, o.value] as const] : [])),
    ),
    ...("value" in torchStep ? { torch: torchStep.value } : {}),
  };
  for (const mode of TRAINING_MODES) {
    const o = oursSteps.get(mode)!;
    const field = `step_speedup_${mode}` as const;
    if (!("value" in torchStep)) Object.assign(section, missing(field, torchStep.reason));
    else if (!("value" in o)) Object.assign(section, missing(field, o.reason));
    else {
      section[field] = torchStep.value.medianSeconds / o.value.medianSeconds;
      section[`${field}_reason`] = undefined;
      section[`${field}_cpu`] = torchStep.value.medianCpuSeconds / o.value.medianCpuSeconds;
    }
  }

  // ---- whole runs to equal validation loss: every mode, then PyTorch once
  const runSpec = (trainer: string, side: string): TrainRunSpec => ({
    ...base,
    trainer,
    evalEvery: setup.evalEvery,
    evalBatch: a.train.global_bs,
    out: join(dir, `run-${side}.json`),
  });
  const describeRun = `${a.train.total_steps + 1} steps, validation every ${setup.evalEvery}`;
  const oursRuns = new Map<SparseTrainingMode, Outcome<TrainRunResult>>();
  for (const mode of TRAINING_MODES) {
    const tr = SPARSE_TRAINING[mode];
    if (!isAvailable(tr)) {
      oursRuns.set(mode, { reason: tr.unavailable });
      continue;
    }
    try {
      ctx.log(`  ours whole run (${mode}): ${describeRun}`);
      const o = runOursChild<TrainRunResult>(
        "train-run",
        runSpec(tr.name, `ours-${mode}`),
        join(dir, `spec-run-${mode}.json`),
        ctx.oursEnv,
      );
      noteChild(section, `run ${mode}`, o);
      oursRuns.set(mode, { value: o.result });
    } catch (e) {
      oursRuns.set(mode, { reason: `our side (${mode}) failed: ${errorLine(e)}` });
    }
  }
  let torchRun: Outcome<TrainRunResult> = { reason: ctx.torchUnavailable ?? "" };
  if (!ctx.torchUnavailable) {
    try {
      ctx.log(`  torch whole run: ${describeRun}`);
      const t = torchMeasurement(ctx, "training run", () =>
        runTorchChild<TrainRunResult>(
          ["train.py", "run"],
          runSpec("torch", "torch"),
          join(dir, "spec-run-torch.json"),
        ),
      );
      noteChild(section, "run torch", t);
      torchRun = { value: t.result };
    } catch (e) {
      torchRun = { reason: `PyTorch side failed: ${errorLine(e)}` };
    }
  }

  const minSteps = stepsToTargetSparsity(a.train);
  const runs: NonNullable<TrainingSection["runs"]> = {};
  for (const mode of TRAINING_MODES) {
    const o = oursRuns.get(mode)!;
    const field = `run_time_ratio_${mode}` as const;
    if (!("value" in o)) {
      Object.assign(section, missing(field, o.reason));
      continue;
    }
    const ours = o.value;
    if (!("value" in torchRun)) {
      runs[mode] = { oursTrainer: ours.impl, ours };
      Object.assign(section, missing(field, torchRun.reason));
      continue;
    }
    const torch = torchRun.value;
    const r = runTimeRatio(ours.evals, torch.evals, { minSteps });
    ctx.log(
      `  ${mode}: L* = ${r.targetLoss.toFixed(4)}: ours ${r.oursSeconds.toFixed(1)} s, torch ${r.torchSeconds.toFixed(1)} s ` +
        `(final val: ours ${ours.evals.at(-1)!.valLoss.toFixed(4)}, torch ${torch.evals.at(-1)!.valLoss.toFixed(4)})`,
    );
    runs[mode] = {
      oursTrainer: ours.impl,
      targetLoss: r.targetLoss,
      minSteps,
      oursSecondsToTarget: r.oursSeconds,
      torchSecondsToTarget: r.torchSeconds,
      ours,
      torch,
    };
    if (r.ratio === null) Object.assign(section, missing(field, r.reason!));
    else {
      section[field] = r.ratio;
      section[`${field}_reason`] = undefined;
    }
    section[`${field}_cpu`] = runTimeRatio(ours.evals, torch.evals, {
      minSteps,
      clock: "trainCpuSeconds",
    }).ratio;
  }
  section.runs = runs;
  const def = runs[defaultMode];
  if (def && "torch" in def) section.run = def;
  section.run_time_ratio = section[`run_time_ratio_${defaultMode}`] ?? null;
  section.run_time_ratio_reason =
    section.run_time_ratio === null
      ? (section[`run_time_ratio_${defaultMode}_reason`] ?? "not measured")
      : undefined;
  section.run_time_ratio_cpu = section[`run_time_ratio_${defaultMode}_cpu`] ?? null;

  const exact = oursRuns.get("exact")!;
  const fast = oursRuns.get("fast")!;
  if ("value" in exact && "value" in fast) {
    section.loss_effect = lossEffect(
      exact.value.evals,
      fast.value.evals,
      "value" in torchRun ? torchRun.value.evals : null,
      a.train.dense_grad_every,
    );
    ctx.log(
      `  loss effect: final val fast − exact = ${section.loss_effect.final_val_fast_minus_exact.toFixed(4)}` +
        (section.loss_effect.max_abs_exact_minus_torch === undefined
          ? ""
          : ` (max |exact − torch| over the run ${section.loss_effect.max_abs_exact_minus_torch.toFixed(4)})`),
    );
  }
  return section;
}

/** The validation-loss gap of "fast" against "exact" at each evaluation (both runs evaluate at the same steps). */
export function lossEffect(
  exact: readonly EvalPoint[],
  fast: readonly EvalPoint[],
  torch: readonly EvalPoint[] | null,
  denseGradEvery: number,
): LossEffect {
  const steps = (e: readonly EvalPoint[]) => e.map((p) => p.steps).join(",");
  if (exact.length === 0 || steps(exact) !== steps(fast))
    throw new Error(`lossEffect: the runs evaluated at different steps (${steps(exact)} vs ${steps(fast)})`);
  const effect: LossEffect = {
    final_val_fast_minus_exact: fast.at(-1)!.valLoss - exact.at(-1)!.valLoss,
    by_eval: exact.map((e, i) => ({
      steps: e.steps,
      exact: e.valLoss,
      fast: fast[i].valLoss,
      fast_minus_exact: fast[i].valLoss - e.valLoss,
    })),
    dense_grad_every: denseGradEvery,
  };
  if (torch && steps(torch) === steps(exact))
    effect.max_abs_exact_minus_torch = Math.max(
      ...exact.map((e, i) => Math.abs(e.valLoss - torch[i].valLoss)),
    );
  return effect;
}
