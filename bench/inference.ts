import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeSafetensors } from "../src/io/safetensors.js";
import { Rng } from "../src/random/rng.js";
import type { InferenceSetup } from "./configs.js";
import { errorLine, torchMeasurement, type BenchContext } from "./common/context.js";
import { runOursChild, runTorchChild } from "./common/proc.js";
import { missing, noteChild, type InferenceSection } from "./common/results.js";
import type {
  DiagnoseResult,
  DiagnoseSpec,
  HooksSpec,
  InferenceResult,
  InferenceSpec,
} from "./common/specs.js";
import { maxAbsDiff } from "./common/stats.js";
import { maxDiffBeforeTie } from "./common/near_tie.js";
import { inferenceFloor } from "./floor.js";
import type { MachinePeaks } from "./peaks.js";
import { denseBytes, generateWeights, writeWeightsCheckpoint } from "./weights.js";

/** The model directory and inputs that both sides load: generated once, shared by inference and memory. */
export interface InferenceAssets {
  setup: InferenceSetup;
  modelDir: string;
  inputs: string;
  denseFp32Bytes: number;
  /** Nonzeros of the pruned matrices (attention/MLP weights, wte, lm_head) and their total size. */
  prunedNonzeros: number;
  prunedTotal: number;
  /** Multiply-adds per token of the linear layers: dense, and counting only nonzero weights. */
  denseMacsPerToken: number;
  sparseMacsPerToken: number;
}

export function prepareInference(ctx: BenchContext, setup: InferenceSetup): InferenceAssets {
  const dir = join(ctx.tmp, "inference");
  const modelDir = join(dir, "model");
  mkdirSync(modelDir, { recursive: true });
  const t0 = performance.now();
  const weights = generateWeights(setup.model, {
    seed: setup.seed,
    matrixDensity: setup.matrixDensity,
    embedDensity: setup.embedDensity,
  });
  writeWeightsCheckpoint(modelDir, setup.model, weights);
  let prunedNonzeros = 0;
  let prunedTotal = 0;
  let denseMacs = 0;
  let sparseMacs = 0;
  for (const [name, w] of weights) {
    if (w.kind !== "sparse") continue;
    const numel = w.shape[0] * w.shape[1];
    prunedNonzeros += w.indices.length;
    prunedTotal += numel;
    // wte is a lookup, not a product; every other pruned matrix is a linear layer.
    if (name !== "transformer.wte.weight") {
      denseMacs += numel;
      sparseMacs += w.indices.length;
    }
  }
  const rng = new Rng(setup.seed + 1);
  const vocab = setup.model.vocab_size as number;
  const ids = new Int32Array(setup.batch * setup.tokens);
  for (let i = 0; i < ids.length; i++) ids[i] = rng.int(vocab);
  const inputs = join(dir, "inputs.safetensors");
  writeSafetensors(
    inputs,
    new Map([["input_ids", { dtype: "I32", shape: [setup.batch, setup.tokens], data: ids }]]),
  );
  ctx.log(
    `  weights: ${prunedNonzeros} nonzeros in the pruned matrices (${((100 * prunedNonzeros) / prunedTotal).toFixed(3)}%), ` +
      `dense fp32 model ${(denseBytes(weights) / 2 ** 30).toFixed(2)} GiB; generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return {
    setup,
    modelDir,
    inputs,
    denseFp32Bytes: denseBytes(weights),
    prunedNonzeros,
    prunedTotal,
    denseMacsPerToken: denseMacs,
    sparseMacsPerToken: sparseMacs,
  };
}

function readF32(path: string): Float32Array {
  const buf = readFileSync(path);
  return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
}

/** Forward of batch × tokens on both sides: median time after warmup, and the largest logit difference. */
export function runInferenceBench(ctx: BenchContext, a: InferenceAssets): InferenceSection {
  const dir = join(ctx.tmp, "inference");
  const { setup } = a;
  const spec = (side: string): InferenceSpec => ({
    modelDir: a.modelDir,
    inputs: a.inputs,
    warmup: setup.warmup,
    runs: setup.runs,
    threads: ctx.threads,
    logitsOut: join(dir, `logits-${side}.f32`),
    out: join(dir, `result-${side}.json`),
  });
  const section: InferenceSection = {
    ...missing("speedup", "not measured"),
    ...missing("max_logit_diff", "not measured"),
    ...missing("max_logit_diff_before_tie", "not measured"),
    ...missing("vs_floor", "not measured"),
    setup: {
      model: setup.label,
      batch: setup.batch,
      tokens: setup.tokens,
      warmup: setup.warmup,
      runs: setup.runs,
      matrixDensity: setup.matrixDensity,
      embedDensity: setup.embedDensity,
      seed: setup.seed,
      prunedNonzeros: a.prunedNonzeros,
      denseFp32Bytes: a.denseFp32Bytes,
      denseLinearMacsPerToken: a.denseMacsPerToken,
      sparseLinearMacsPerToken: a.sparseMacsPerToken,
    },
  };
  let ours: InferenceResult | undefined;
  try {
    ctx.log(`  ours: ${setup.warmup} warmup + ${setup.runs} timed forwards`);
    const o = runOursChild<InferenceResult>(
      "inference",
      spec("ours"),
      join(dir, "spec-ours.json"),
      ctx.oursEnv,
    );
    noteChild(section, "ours", o);
    ours = o.result;
    section.ours = ours;
    section.ours_path = ours.impl;
    ctx.log(
      `  ours (${ours.impl}): median ${ours.medianSeconds.toFixed(3)} s [${fmtTimes(ours.times)}], load ${ours.loadSeconds.toFixed(1)} s`,
    );
  } catch (e) {
    const reason = `our side failed: ${errorLine(e)}`;
    return { ...section, ...missing("speedup", reason), ...missing("max_logit_diff", reason) };
  }
  addFloor(ctx, a, section, dir);
  if (ctx.torchUnavailable) {
    return {
      ...section,
      ...missing("speedup", ctx.torchUnavailable),
      ...missing("max_logit_diff", ctx.torchUnavailable),
    };
  }
  try {
    ctx.log(`  torch: ${setup.warmup} warmup + ${setup.runs} timed forwards`);
    const t = torchMeasurement(ctx, "inference", () =>
      runTorchChild<InferenceResult>(["inference.py"], spec("torch"), join(dir, "spec-torch.json")),
    );
    noteChild(section, "torch", t);
    section.torch = t.result;
    ctx.log(
      `  torch: median ${t.result.medianSeconds.toFixed(3)} s [${fmtTimes(t.result.times)}], load ${t.result.loadSeconds.toFixed(1)} s`,
    );
  } catch (e) {
    const reason = `PyTorch side failed: ${errorLine(e)}`;
    return { ...section, ...missing("speedup", reason), ...missing("max_logit_diff", reason) };
  }
  const oursLogits = readF32(spec("ours").logitsOut!);
  const torchLogits = readF32(spec("torch").logitsOut!);
  const { maxDiff, maxRef } = maxAbsDiff(oursLogits, torchLogits);
  section.max_abs_logit = maxRef;
  const perPosition = positionDiffs(oursLogits, torchLogits, setup.batch * setup.tokens);
  section.positions = perPosition.length;
  section.positions_over_1e4 = perPosition.filter((d) => !(d <= 1e-4)).length;
  section.first_position_over_1e4 =
    section.positions_over_1e4 > 0 ? perPosition.findIndex((d) => !(d <= 1e-4)) : null;
  if (!(maxDiff <= 1e-4)) section.diagnosis = diagnose(ctx, a, dir, section);
  const beforeTie = maxDiffBeforeTie(perPosition, section.diagnosis);
  section.max_logit_diff_before_tie = beforeTie.value;
  section.max_logit_diff_before_tie_reason = beforeTie.reason;
  section.tie_position = beforeTie.tiePosition;
  const speedup = section.torch.medianSeconds / ours.medianSeconds;
  section.speedup_cpu = section.torch.medianCpuSeconds / ours.medianCpuSeconds;
  return {
    ...section,
    speedup,
    speedup_reason: undefined,
    ...(Number.isFinite(maxDiff)
      ? { max_logit_diff: maxDiff, max_logit_diff_reason: undefined }
      : missing("max_logit_diff", "a logit is NaN on one side")),
  };
}

/**
 * The machine's floor for this forward (bench/floor.ts) from the GEMM peak and read bandwidth measured
 * on this build in its own child, and ours against it: inference.floor_ms, inference.vs_floor.
 */
function addFloor(ctx: BenchContext, a: InferenceAssets, section: InferenceSection, dir: string): void {
  try {
    ctx.log(`  machine peaks (this build): dense GEMM and read bandwidth`);
    const spec: { threads: number; quick: boolean; out: string } = {
      threads: ctx.threads,
      quick: ctx.quick,
      out: join(dir, "peaks.json"),
    };
    const o = runOursChild<MachinePeaks>("peaks", spec, join(dir, "spec-peaks.json"), ctx.oursEnv);
    noteChild(section, "peaks", o);
    const m = a.setup.model as { n_layer: number; n_head: number; d_head: number; vocab_size: number };
    const floor = inferenceFloor(
      {
        nLayer: m.n_layer,
        nHead: m.n_head,
        dHead: m.d_head,
        vocab: m.vocab_size,
        batch: a.setup.batch,
        tokens: a.setup.tokens,
        linearNonzeros: a.sparseMacsPerToken,
      },
      o.result,
    );
    section.floor = floor;
    section.floor_ms = floor.floorSeconds * 1000;
    section.vs_floor = section.ours!.medianSeconds / floor.floorSeconds;
    section.vs_floor_reason = undefined;
    ctx.log(
      `  floor: ${section.floor_ms.toFixed(2)} ms (GEMM ${o.result.gemmGflops.toFixed(0)} GFLOP/s, read ${o.result.readGBs.toFixed(1)} GB/s); ours / floor = ${section.vs_floor.toFixed(1)}`,
    );
  } catch (e) {
    Object.assign(section, missing("vs_floor", `the machine peaks failed: ${errorLine(e)}`));
  }
}

/** max over the vocabulary of |a − b|, per position. */
function positionDiffs(a: Float32Array, b: Float32Array, positions: number): number[] {
  const v = a.length / positions;
  const out: number[] = [];
  for (let p = 0; p < positions; p++)
    out.push(maxAbsDiff(a.subarray(p * v, (p + 1) * v), b.subarray(p * v, (p + 1) * v)).maxDiff);
  return out;
}

/** Finds the first AbsTopK site where the two sides differ: a near-tie, or a real discrepancy. */
function diagnose(
  ctx: BenchContext,
  a: InferenceAssets,
  dir: string,
  section: InferenceSection,
): InferenceSection["diagnosis"] {
  try {
    ctx.log(`  logits differ by more than 1e-4: locating the first AbsTopK site where the sides part ways`);
    const hooksOut = join(dir, "hooks-ours.safetensors");
    const h: HooksSpec = {
      modelDir: a.modelDir,
      inputs: a.inputs,
      threads: ctx.threads,
      hooksOut,
      out: join(dir, "hooks-ours.json"),
    };
    noteChild(section, "diagnosis ours", runOursChild("hooks", h, join(dir, "spec-hooks.json"), ctx.oursEnv));
    const d: DiagnoseSpec = {
      modelDir: a.modelDir,
      inputs: a.inputs,
      threads: ctx.threads,
      hooks: hooksOut,
      out: join(dir, "diagnosis.json"),
    };
    const t = runTorchChild<DiagnoseResult>(["diagnose.py"], d, join(dir, "spec-diagnose.json"));
    noteChild(section, "diagnosis torch", t);
    const v = t.result.divergence;
    ctx.log(
      v
        ? `  first divergence: ${v.hook} at position ${v.position} (kept set differs: ${v.keptSetDiffers}; relative gap between the k-th and (k+1)-th |x|: ${v.relativeGap?.toExponential(2)})`
        : `  no AbsTopK site differs; the difference arises elsewhere`,
    );
    return t.result;
  } catch (e) {
    return { error: errorLine(e) };
  }
}

function fmtTimes(times: readonly number[]): string {
  return times.map((t) => t.toFixed(3)).join(", ");
}
