// Our side of one benchmark measurement, in its own process so that its peak RSS is its own:
//   node dist/bench/child.js inference|hooks|train-step|train-run|peaks|prune-setup|prune-step|prune-run SPEC.json
// The spec formats are in bench/common/specs.ts; bench/torch/*.py read the same specs.
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "../src/io/atomic.js";
import { readSafetensors, writeSafetensors } from "../src/io/safetensors.js";
import { nativeBuild } from "../src/backend/native.js";
import { loadModel } from "../src/model/checkpoint.js";
import {
  evalAfterStep,
  type HooksSpec,
  type InferenceResult,
  type InferenceSpec,
  type TrainRunResult,
  type TrainRunSpec,
  type TrainStepResult,
  type TrainStepSpec,
} from "./common/specs.js";
import { median, peakRssBytes } from "./common/stats.js";
import { OURS_INFERENCE } from "./ours/inference.js";
import { oursTrainers, type OursTraining } from "./ours/training.js";
import { measurePeaks } from "./peaks.js";
import { pruneRun, pruneSetup, pruneStep } from "./prune_child.js";
import type { PruneRunSpec, PruneSetupSpec, PruneStepSpec } from "./common/prune_specs.js";

function ownPeakRss(): number | null {
  try {
    return peakRssBytes(readFileSync("/proc/self/status", "utf8"));
  } catch {
    return null;
  }
}

function seconds(fn: () => void): number {
  return timed(fn).wall;
}

/** Wall seconds, and CPU seconds of the whole process (all threads: a cross-check under contention). */
function timed(fn: () => void): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6 };
}

function int32Tensor(path: string, name: string): { data: Int32Array; shape: number[] } {
  const t = readSafetensors(path).tensors.get(name);
  if (!t || !(t.data instanceof Int32Array)) throw new Error(`${path}: no I32 tensor "${name}"`);
  return { data: t.data, shape: t.shape };
}

function inference(spec: InferenceSpec): InferenceResult {
  const { data: ids, shape } = int32Tensor(spec.inputs, "input_ids");
  const [b, t] = shape;
  let model: ReturnType<typeof OURS_INFERENCE.load> | undefined;
  const loadSeconds = seconds(() => (model = OURS_INFERENCE.load(spec.modelDir, spec.threads)));
  let logits: Float32Array = new Float32Array(0);
  for (let i = 0; i < spec.warmup; i++) logits = model!.forward(ids, b, t);
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i < spec.runs; i++) {
    const r = timed(() => (logits = model!.forward(ids, b, t)));
    times.push(r.wall);
    cpuTimes.push(r.cpu);
  }
  if (spec.logitsOut)
    writeFileAtomic(spec.logitsOut, new Uint8Array(logits.buffer, logits.byteOffset, logits.byteLength));
  return {
    impl: OURS_INFERENCE.name,
    description: OURS_INFERENCE.description,
    loadSeconds,
    times,
    medianSeconds: times.length > 0 ? median(times) : NaN,
    cpuTimes,
    medianCpuSeconds: cpuTimes.length > 0 ? median(cpuTimes) : NaN,
    peakRssBytes: ownPeakRss(),
  };
}

function hooks(spec: HooksSpec): { sites: number } {
  const { data: ids, shape } = int32Tensor(spec.inputs, "input_ids");
  const model = OURS_INFERENCE.load(spec.modelDir, spec.threads);
  if (!model.topkSites) throw new Error(`${OURS_INFERENCE.name} cannot record activations`);
  const sites = model.topkSites(ids, shape[0], shape[1]);
  writeSafetensors(spec.hooksOut, new Map([...sites].map(([k, v]) => [k, { dtype: "F32" as const, ...v }])));
  return { sites: sites.size };
}

function trainer(name: string): OursTraining {
  const t = oursTrainers().get(name);
  if (!t) throw new Error(`no trainer "${name}" (have: ${[...oursTrainers().keys()].join(", ")})`);
  return t;
}

function trainStep(spec: TrainStepSpec): TrainStepResult {
  const impl = trainer(spec.trainer);
  const { data: batches, shape } = int32Tensor(spec.data, "train");
  const [nBatches, b, t] = shape;
  const learner = impl.create(loadModel(spec.initDir), { ...spec.train, pfrac_anneal: false }, spec.threads);
  learner.projectToTarget();
  const times: number[] = [];
  const cpuTimes: number[] = [];
  const losses: number[] = [];
  for (let i = 0; i < spec.warmup + spec.timed; i++) {
    const tokens = batches.subarray((i % nBatches) * b * t, ((i % nBatches) + 1) * b * t);
    let loss = NaN;
    const r = timed(() => (loss = learner.step(i, tokens, b, t)));
    const s = r.wall;
    losses.push(loss);
    if (i >= spec.warmup) {
      times.push(s);
      cpuTimes.push(r.cpu);
    }
    process.stderr.write(`  ours ${impl.name} step ${i}: ${s.toFixed(2)} s, loss ${loss.toFixed(4)}\n`);
  }
  return {
    impl: impl.name,
    description: impl.description,
    times,
    medianSeconds: median(times),
    cpuTimes,
    medianCpuSeconds: median(cpuTimes),
    losses,
    peakRssBytes: ownPeakRss(),
  };
}

function trainRun(spec: TrainRunSpec): TrainRunResult {
  const impl = trainer(spec.trainer);
  const { data: batches, shape } = int32Tensor(spec.data, "train");
  const [nBatches, b, t] = shape;
  const { data: val, shape: valShape } = int32Tensor(spec.data, "val");
  const S = spec.train.total_steps;
  if (nBatches < S + 1) throw new Error(`${spec.data}: ${nBatches} batches for a run of ${S + 1} steps`);
  const learner = impl.create(loadModel(spec.initDir), spec.train, spec.threads);
  const evals: TrainRunResult["evals"] = [];
  const losses: number[] = [];
  let trainSeconds = 0;
  let trainCpuSeconds = 0;
  let evalSeconds = 0;
  const evaluate = (steps: number) => {
    let valLoss = NaN;
    evalSeconds += seconds(() => (valLoss = learner.evalLoss(val, valShape[1], spec.evalBatch)));
    evals.push({ steps, trainSeconds, trainCpuSeconds, valLoss });
    process.stderr.write(
      `  ours ${impl.name} after ${steps} steps: ${trainSeconds.toFixed(1)} s, val ${valLoss.toFixed(4)}\n`,
    );
  };
  evaluate(0);
  for (let i = 0; i <= S; i++) {
    const tokens = batches.subarray(i * b * t, (i + 1) * b * t);
    let loss = NaN;
    const r = timed(() => (loss = learner.step(i, tokens, b, t)));
    trainSeconds += r.wall;
    trainCpuSeconds += r.cpu;
    losses.push(loss);
    if (evalAfterStep(i, spec.evalEvery, S)) evaluate(i + 1);
  }
  return {
    impl: impl.name,
    description: impl.description,
    evals,
    losses,
    totalTrainSeconds: trainSeconds,
    totalTrainCpuSeconds: trainCpuSeconds,
    totalEvalSeconds: evalSeconds,
    peakRssBytes: ownPeakRss(),
  };
}

function main(): void {
  const [task, specPath] = process.argv.slice(2);
  if (!task || !specPath)
    throw new Error(
      "usage: node dist/bench/child.js inference|hooks|train-step|train-run|peaks|prune-setup|prune-step|prune-run SPEC.json",
    );
  const spec = JSON.parse(readFileSync(specPath, "utf8")) as { out: string };
  let result: object;
  if (task === "inference") result = inference(spec as InferenceSpec);
  else if (task === "hooks") result = hooks(spec as HooksSpec);
  else if (task === "train-step") result = trainStep(spec as TrainStepSpec);
  else if (task === "train-run") result = trainRun(spec as TrainRunSpec);
  else if (task === "peaks") {
    const p = spec as unknown as { threads: number; quick?: boolean };
    result = measurePeaks(p.threads, p.quick ?? false);
  } else if (task === "prune-setup") result = pruneSetup(spec as PruneSetupSpec);
  else if (task === "prune-step") result = pruneStep(spec as PruneStepSpec);
  else if (task === "prune-run") result = pruneRun(spec as PruneRunSpec);
  else throw new Error(`unknown task "${task}"`);
  // Which build of the addon ran (CSP_ADDON_MARCH picks it): run-all checks it is the one it asked for.
  const build = nativeBuild();
  const runtime = {
    ...(result as { runtime?: Record<string, unknown> }).runtime,
    nativeBuild: build ? { march: build.march, simd: build.simd } : null,
  };
  writeFileAtomic(spec.out, JSON.stringify({ ...result, runtime }, null, 2) + "\n");
}

main();
