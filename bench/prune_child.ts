// Our side of the pruning benchmark (child tasks prune-setup, prune-step, prune-run of bench/child.ts).
import { readFileSync } from "node:fs";
import { setBackend } from "../src/backend/index.js";
import { nativeThreads } from "../src/backend/native.js";
import { constantBaselines } from "../src/circuit/ablation.js";
import { frozenModel, type PruneContext } from "../src/circuit/masked_run.js";
import type { MaskTrainConfig } from "../src/prune/config.js";
import { computeMeans } from "../src/circuit/means.js";
import { nodeLabel, nodeLayout } from "../src/circuit/nodes.js";
import type { TaskSequence } from "../src/circuit/task_data.js";
import { readSafetensors, writeSafetensors } from "../src/io/safetensors.js";
import type { ProgressFactory } from "../src/io/progress.js";
import { loadModel, saveModel } from "../src/model/checkpoint.js";
import { pruneTask } from "../src/prune/prune.js";
import { PRUNE_JOB_DEFAULTS } from "../src/prune/run.js";
import {
  PLANTED_ESSENTIAL_NODES,
  plantedModel,
  plantedPairs,
  randomWindows,
} from "../src/prune/synthetic.js";
import { groupByLength } from "../src/circuit/task_data.js";
import { maskOptimizerState, maskTrainingStep, type MaskOptimizerState } from "../src/prune/train_masks.js";
import { Rng } from "../src/random/rng.js";
import type {
  PruneFiles,
  PruneRunResult,
  PruneRunSpec,
  PruneSetupResult,
  PruneSetupSpec,
  PruneStepResult,
  PruneStepSpec,
} from "./common/prune_specs.js";
import { median, peakRssBytes } from "./common/stats.js";

function ownPeakRss(): number | null {
  try {
    return peakRssBytes(readFileSync("/proc/self/status", "utf8"));
  } catch {
    return null;
  }
}

const MATRIX = /\.(c_attn|c_proj|c_fc)\.weight$|^lm_head\.weight$/;

/** The planted model at the spec's shape, its task pairs and mean activations, written for every child. */
export function pruneSetup(spec: PruneSetupSpec): PruneSetupResult {
  setBackend("native");
  nativeThreads(2);
  const t0 = performance.now();
  const model = plantedModel(spec.model);
  let matrixNonzeros = 0;
  let matrixEntries = 0;
  for (const [name, t] of model.params) {
    if (!MATRIX.test(name)) continue;
    const d = t.data;
    matrixEntries += d.length;
    for (let i = 0; i < d.length; i++) if (d[i] !== 0) matrixNonzeros++;
  }
  saveModel(spec.modelDir, model);
  const layout = nodeLayout(model.dims);
  const { count, length, seed } = spec.means;
  const means = computeMeans(model, layout, randomWindows(spec.model.vocab, count, length, seed), length);
  writeSafetensors(
    spec.meansFile,
    new Map([...means].map(([k, v]) => [k, { dtype: "F32" as const, shape: [v.length], data: v }])),
  );
  const fillers = Array.from({ length: spec.model.vocab - 5 }, (_, i) => i + 5);
  const pairs = plantedPairs({ ...spec.pairs, fillers });
  const seqs = pairs.flatMap((p) => [
    { ids: p.a, correct: p.aNext, alt: p.bNext },
    { ids: p.b, correct: p.bNext, alt: p.aNext },
  ]);
  const ids = new Int32Array(seqs.reduce((s, q) => s + q.ids.length, 0));
  let at = 0;
  for (const q of seqs) {
    ids.set(q.ids, at);
    at += q.ids.length;
  }
  const i32 = (data: Int32Array) => ({ dtype: "I32" as const, shape: [data.length], data });
  writeSafetensors(
    spec.taskFile,
    new Map([
      ["ids", i32(ids)],
      ["lengths", i32(Int32Array.from(seqs, (q) => q.ids.length))],
      ["correct", i32(Int32Array.from(seqs, (q) => q.correct))],
      ["alt", i32(Int32Array.from(seqs, (q) => q.alt))],
    ]),
  );
  return { nodes: layout.total, matrixNonzeros, matrixEntries, seconds: (performance.now() - t0) / 1000 };
}

function readSequences(path: string, count: number): TaskSequence[] {
  const t = readSafetensors(path).tensors;
  const get = (name: string) => t.get(name)!.data as Int32Array;
  const ids = get("ids");
  const lengths = get("lengths");
  const correct = get("correct");
  const alt = get("alt");
  const out: TaskSequence[] = [];
  let at = 0;
  for (let i = 0; i < Math.min(count, lengths.length); i++) {
    out.push({ ids: ids.slice(at, at + lengths[i]), correct: correct[i], alt: alt[i] });
    at += lengths[i];
  }
  return out;
}

/** The engine's pruning context on the files: the model as loaded (sparse weights as CSR) and mean ablation. */
function context(files: PruneFiles, threads: number): PruneContext {
  setBackend("native");
  nativeThreads(threads);
  const model = loadModel(files.modelDir);
  const layout = nodeLayout(model.dims);
  const means = new Map<string, Float32Array>();
  for (const [name, t] of readSafetensors(files.meansFile).tensors) means.set(name, t.data as Float32Array);
  return { model, frozen: frozenModel(model), layout, baselines: constantBaselines("mean", means) };
}

export const PRUNE_STEP_DESCRIPTION =
  "one step of src/prune/train_masks.ts on a fixed batch: m = H(τ), circuit/masked_run.ts maskedLossGradient (node interventions at every site, mean ablation; backward to the masks through the frozen model, native backend, sparse weights as CSR), surrogate gradient, clip, AdamW on τ";

/**
 * One mask-training step of src/prune/train_masks.ts (maskTrainingStep), on a fixed batch (every
 * sequence given) so that PyTorch can run the same one: trainMasks draws its batch_pairs pairs
 * (2 × batch_pairs sequences) from a seeded permutation. The learning rate is the configured one, unscheduled.
 */
function maskStep(
  ctx: PruneContext,
  groups: ReturnType<typeof groupByLength>,
  tau: Float64Array,
  state: MaskOptimizerState & { step: number },
  cfg: MaskTrainConfig,
): { loss: number; kept: number } {
  return maskTrainingStep(ctx, groups, tau, state, cfg, { step: state.step++, lr: cfg.lr });
}

export function pruneStep(spec: PruneStepSpec): PruneStepResult {
  const ctx = context(spec, spec.threads);
  const seqs = readSequences(spec.taskFile, 2 * spec.pairs);
  const groups = groupByLength(seqs);
  const n = ctx.layout.total;
  const rng = new Rng(spec.mask.seed);
  const tau = new Float64Array(n);
  for (let i = 0; i < n; i++)
    tau[i] = Math.max(-1, Math.min(1, spec.mask.init_noise_bias + spec.mask.init_noise_scale * rng.normal()));
  const state = { ...maskOptimizerState(n), step: 0 };
  const times: number[] = [];
  const cpuTimes: number[] = [];
  const losses: number[] = [];
  const kept: number[] = [];
  for (let step = 0; step < spec.warmup + spec.timed; step++) {
    const c = process.cpuUsage();
    const t = performance.now();
    const r = maskStep(ctx, groups, tau, state, spec.mask);
    const wall = (performance.now() - t) / 1000;
    const u = process.cpuUsage(c);
    if (step >= spec.warmup) {
      times.push(wall);
      cpuTimes.push((u.user + u.system) / 1e6);
    }
    losses.push(r.loss);
    kept.push(r.kept);
    process.stderr.write(`  ours mask step ${step}: ${wall.toFixed(2)} s, loss ${r.loss.toFixed(5)}\n`);
  }
  return {
    impl: "ours",
    description: PRUNE_STEP_DESCRIPTION,
    times,
    medianSeconds: median(times),
    cpuTimes,
    medianCpuSeconds: median(cpuTimes),
    losses,
    kept,
    peakRssBytes: ownPeakRss(),
  };
}

/** pruneTask with csp prune's defaults (mask steps as the spec says) on the planted task's training pairs. */
export function pruneRun(spec: PruneRunSpec): PruneRunResult {
  const ctx = context(spec, spec.threads);
  const train = readSequences(spec.taskFile, 2 * spec.trainPairs);
  const phases: { label: string; seconds: number }[] = [];
  const progress: ProgressFactory = (label) => {
    const started = performance.now();
    return {
      update() {},
      stop() {
        phases.push({ label, seconds: (performance.now() - started) / 1000 });
        process.stderr.write(`  ours prune: ${label} ${phases.at(-1)!.seconds.toFixed(1)} s\n`);
      },
    };
  };
  const d = PRUNE_JOB_DEFAULTS;
  const t0 = performance.now();
  const outcome = pruneTask(ctx, train, {
    method: d.method,
    targetLoss: d.targetLoss,
    mask: { ...d.mask, steps: spec.maskSteps },
    search: d.search,
    evalPairs: d.evalPairs,
    effectsPairs: d.effectsPairs,
    maxEffectNodes: d.maxEffectNodes,
    repairRounds: d.repairRounds,
    progress,
  });
  const seconds = (performance.now() - t0) / 1000;
  const nodes: string[] = [];
  for (let i = 0; i < ctx.layout.total; i++) if (outcome.keep[i]) nodes.push(nodeLabel(ctx.layout, i));
  return {
    maskSteps: spec.maskSteps,
    seconds,
    phases,
    k: outcome.k,
    nodes: ctx.layout.total,
    reached: outcome.reached,
    lossFull: outcome.lossFull,
    lossCircuit: outcome.lossCircuit,
    plantedMissing: PLANTED_ESSENTIAL_NODES.filter((n) => !nodes.includes(n)),
    planted: [...PLANTED_ESSENTIAL_NODES],
    peakRssBytes: ownPeakRss(),
  };
}
