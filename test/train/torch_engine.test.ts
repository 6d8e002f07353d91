import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { BatchLoader, type BatchLoaderState } from "../../src/data/batch_loader.js";
import { writeShard } from "../../src/data/shard.js";
import { CspError } from "../../src/errors.js";
import { readSafetensors, writeSafetensors } from "../../src/io/safetensors.js";
import { loadModel } from "../../src/model/checkpoint.js";
import { exportReferenceModel } from "../../src/model/export_reference.js";
import { forward } from "../../src/model/gpt.js";
import { readTrainState } from "../../src/train/checkpoint_state.js";
import { readMetrics, type StepMetrics } from "../../src/train/metrics.js";
import {
  pythonPackageDir,
  runTorchTrainRequest,
  torchrunArgs,
  type TorchTrainRequest,
} from "../../src/train/torch_engine.js";
import { runTrainRequest, type TrainRequest } from "../../src/train/train_run.js";
import { FIXTURES } from "../helpers/fixtures.js";
import { makeSyntheticCorpus } from "./synthetic_corpus.js";

// Debian's python3-torch by default; CSP_PYTHON names another interpreter with torch. Without torch these
// tests fail (scripts/ensure-torch.mjs installs it for CI): they are the only check of python/csp_torch.
const PYTHON = process.env.CSP_PYTHON ?? "/usr/bin/python3";

/*
 * Tolerance of the loss curves: 1e-4 nats. Both engines run the same recipe in fp32 with bit-identical
 * schedules, data order and initial weights; only the summation order of matrix products and reductions
 * differs (~1e-7 relative per operation). Measured over these 31 steps: at most 6e-7. A recipe difference
 * (a wrong lr, a flipped top-k choice, another batch) moves the loss by 1e-3 or more within a step or two.
 */
const LOSS_TOL = 1e-4;
const STEPS = 30; // S: steps 0..30

let work: string;
let tsFull: StepMetrics[];
let tsThenTorch: string;
let torchThenTs: string;
let torchStages: { startStep: number; stepsRun: number }[];
let checksOut: string;

function python(args: string[]): void {
  const r = spawnSync(PYTHON, args, {
    encoding: "utf8",
    env: {
      ...process.env,
      PYTHONPATH: pythonPackageDir(),
      OMP_NUM_THREADS: "1",
      PYTHONDONTWRITEBYTECODE: "1",
    },
  });
  if (r.status !== 0) throw new Error(`${PYTHON} ${args.join(" ")} failed:\n${r.error ?? r.stderr}`);
}

beforeAll(() => {
  const corpus = makeSyntheticCorpus();
  work = mkdtempSync(join(tmpdir(), "csp-torch-engine-"));
  const base: Omit<TrainRequest, "out"> = {
    corpus: [corpus],
    cache: join(work, "cache"),
    preset: "tiny",
    valFraction: 0.1,
    steps: String(STEPS),
    checkpointEvery: "10",
    evalEvery: "10",
  };
  const torch = (out: string, extra: Partial<TorchTrainRequest> = {}) =>
    runTorchTrainRequest({ ...base, out, nproc: 2, python: PYTHON, device: "cpu", quiet: true, ...extra });

  tsFull = runTrainRequest({ ...base, out: join(work, "ts") }).metrics;
  // Our engine runs steps 0..9, torch (2 processes, gloo) steps 10..30.
  tsThenTorch = join(work, "ts-then-torch");
  runTrainRequest({ ...base, out: tsThenTorch, stopAfterSteps: 10 });
  const a = torch(tsThenTorch);
  // Torch runs steps 0..19 from our seeded init, our engine steps 20..30.
  torchThenTs = join(work, "torch-then-ts");
  const b = torch(torchThenTs, { stopAfterSteps: 20 });
  runTrainRequest({ ...base, out: torchThenTs });
  torchStages = [a, b];

  // One Python process for the model and data-order checks (torch is imported once).
  checksOut = join(work, "checks");
  const ids = join(work, "ids.safetensors");
  const windows = Int32Array.from({ length: 2 * 32 }, (_, i) => (i * 37 + 5) % 320);
  writeSafetensors(ids, new Map([["input_ids", { dtype: "I32", shape: [2, 32], data: windows }]]));
  const shard = join(work, "shard.bin");
  writeShard(shard, [Uint16Array.from({ length: 500 }, (_, i) => (i * 7919) % 65521)]);
  const jobs = {
    logits: [
      ...["sink-afrac", "dense-plain"].map((name) => ({
        model: join(FIXTURES, "parity", name),
        ids: join(FIXTURES, "parity", name, "expected.safetensors"),
        out: join(work, `fixture-${name}.safetensors`),
        grads: true,
      })),
      { model: join(work, "ts"), ids, out: join(work, "ours.safetensors") },
      { model: join(work, "export"), ids, out: join(work, "export.safetensors") },
    ],
    loaders: [
      { shard, batch: 8, seqLen: 15, seed: 7, batches: 12, out: join(work, "loader-fresh.json") },
      {
        shard,
        batch: 8,
        seqLen: 15,
        seed: 7,
        batches: 5,
        state: { seed: 7, seqLen: 15, shardTokens: 500, epoch: 2, index: 13 },
        out: join(work, "loader-resumed.json"),
      },
    ],
  };
  exportReferenceModel({ model: join(work, "ts"), out: join(work, "export") });
  writeFileSync(checksOut, JSON.stringify(jobs));
  python([resolve("test/train/torch_checks.py"), checksOut]);
}, 180_000);

/** Every record of `got` agrees with our engine's uninterrupted run at the same step. */
function expectSameCurve(got: StepMetrics[], steps: [number, number]): void {
  const picked = got.filter((m) => m.step >= steps[0] && m.step <= steps[1]);
  expect(picked.map((m) => m.step)).toEqual(
    Array.from({ length: steps[1] - steps[0] + 1 }, (_, i) => steps[0] + i),
  );
  for (const m of picked) {
    const ref = tsFull[m.step];
    expect(m.lr).toBe(ref.lr);
    expect(m.pfrac).toBe(ref.pfrac);
    expect(m.nonzero).toBe(ref.nonzero);
    expect(m.tokens).toBe(ref.tokens);
    expect(Math.abs(m.loss - ref.loss)).toBeLessThan(LOSS_TOL);
    expect(m.val_loss === undefined).toBe(ref.val_loss === undefined);
    if (ref.val_loss !== undefined) expect(Math.abs(m.val_loss! - ref.val_loss)).toBeLessThan(LOSS_TOL);
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

describe("csp train --engine torch (python/csp_torch, gloo, 2 processes, tiny preset)", () => {
  test("the torch engine's loss curve matches our engine's over the same steps", () => {
    // The two torch stages cover every step 0..30 between them.
    expect(torchStages).toEqual([
      expect.objectContaining({ startStep: 10, stepsRun: 21, completed: true }),
      expect.objectContaining({ startStep: 0, stepsRun: 20, completed: false }),
    ]);
    expect(tsFull).toHaveLength(STEPS + 1);
    expectSameCurve(readMetrics(join(torchThenTs, "metrics.jsonl")), [0, 19]);
    expectSameCurve(readMetrics(join(tsThenTorch, "metrics.jsonl")), [10, STEPS]);
    // The loss went down, so the comparison is over a run that learned.
    expect(tsFull[STEPS].loss).toBeLessThan(tsFull[0].loss - 1);
  });

  test("a run started on one engine resumes on the other, both directions", () => {
    expectSameCurve(readMetrics(join(tsThenTorch, "metrics.jsonl")), [0, STEPS]);
    expectSameCurve(readMetrics(join(torchThenTs, "metrics.jsonl")), [0, STEPS]);
    const ref = readTrainState(join(work, "ts", "train_state.safetensors"));
    for (const dir of [tsThenTorch, torchThenTs]) {
      const state = readTrainState(join(dir, "train_state.safetensors"));
      expect(state.progress.nextStep).toBe(STEPS + 1);
      expect(state.adamStep).toBe(STEPS + 1);
      expect(state.progress.loader).toEqual(ref.progress.loader);
      expect(state.progress.identity).toEqual(ref.progress.identity);
      for (const [name, t] of ref.tensors) {
        const diff = maxAbsDiff(state.tensors.get(name)!.data, t.data);
        expect(diff, name).toBeLessThan(1e-4 * Math.max(1, maxAbs(t.data)));
      }
    }
    // The torch engine wrote our exports too: the final weights load with loadModel.
    expect(loadModel(tsThenTorch).params.get("transformer.h.0.mlp.c_fc.weight")!.shape).toEqual([128, 32]);
  });

  test("the PyTorch model reproduces the reference fixtures' logits (1e-5) and gradients (1e-4)", () => {
    for (const name of ["sink-afrac", "dense-plain"]) {
      const expected = readSafetensors(join(FIXTURES, "parity", name, "expected.safetensors")).tensors;
      const got = readSafetensors(join(work, `fixture-${name}.safetensors`)).tensors;
      const logits = expected.get("logits")!.data;
      expect(maxAbsDiff(got.get("logits")!.data, logits) / maxAbs(logits)).toBeLessThan(1e-5);
      let grads = 0;
      for (const [key, t] of expected) {
        if (!key.startsWith("grad/")) continue;
        grads++;
        expect(maxAbsDiff(got.get(key)!.data, t.data) / maxAbs(t.data), key).toBeLessThan(1e-4);
      }
      expect(grads).toBeGreaterThan(10);
    }
  });

  test.each([
    ["our model directory (sparse safetensors)", "ours.safetensors"],
    [
      "its reference export (csp export: beeg_config.json + final_model.pt, torch.load)",
      "export.safetensors",
    ],
  ])("a trained model loads into the PyTorch model from %s with our engine's logits (1e-4)", (_, file) => {
    const model = loadModel(join(work, "ts"));
    const ids = readSafetensors(join(work, "ids.safetensors")).tensors.get("input_ids")!.data as Int32Array;
    const ours = forward(model, ids, 2, 32).logits.data;
    const theirs = readSafetensors(join(work, file)).tensors.get("logits")!.data;
    expect(maxAbsDiff(theirs, ours) / maxAbs(ours)).toBeLessThan(1e-4);
  });

  test("the Python data order is our BatchLoader's, across epochs and from a saved state", () => {
    const tokens = Uint16Array.from({ length: 500 }, (_, i) => (i * 7919) % 65521);
    const check = (file: string, batches: number, state?: BatchLoaderState) => {
      const loader = new BatchLoader(tokens, { batchSize: 8, seqLen: 15, seed: 7, state });
      const ours = Array.from({ length: batches }, () => Array.from(loader.next().tokens));
      const py = JSON.parse(readFileSync(join(work, file), "utf8")) as {
        batches: number[][][];
        state: BatchLoaderState;
      };
      expect(py.batches.map((b) => b.flat())).toEqual(ours);
      expect(py.state).toEqual(loader.state());
      return loader.state();
    };
    // 12 batches of 8 windows of a 33-window epoch: three epoch boundaries.
    expect(check("loader-fresh.json", 12).epoch).toBe(2);
    check("loader-resumed.json", 5, { seed: 7, seqLen: 15, shardTokens: 500, epoch: 2, index: 13 });
  });

  test("requests the engine cannot run fail before training, with one line naming the problem", () => {
    const base = { corpus: [join(work, "none")], preset: "tiny", out: join(work, "bad") };
    expect(() => runTorchTrainRequest({ ...base, nproc: 3 })).toThrow(
      new CspError("--nproc 3 does not divide the batch size 8"),
    );
    expect(() => runTorchTrainRequest({ ...base, snapshotEvery: "5" })).toThrow(
      /not supported with --engine torch/,
    );
  });

  test("torchrun arguments: processes, run and corpus directories, device, stop", () => {
    const run = { outDir: "/r", dataDir: "/c", nextStep: 0, totalSteps: 10, globalBatch: 8 };
    expect(torchrunArgs(run, { nproc: 4, device: "cuda", stopAfterSteps: 3 })).toEqual([
      "-m",
      "csp_torch.torchrun",
      "--standalone",
      "--nnodes",
      "1",
      "--nproc_per_node",
      "4",
      "--monitor_interval",
      "1",
      "-m",
      "csp_torch.train",
      "--run",
      "/r",
      "--data",
      "/c",
      "--device",
      "cuda",
      "--stop-after",
      "3",
    ]);
  });
});
