import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { loadModel } from "../../src/model/checkpoint.js";
import type { Model } from "../../src/model/model.js";
import {
  readSnapshotList,
  snapshotDue,
  snapshotFile,
  snapshotModelDir,
  type SnapshotEntry,
} from "../../src/train/snapshots.js";
import { runTrainRequest, type TrainRequest } from "../../src/train/train_run.js";
import { makeSyntheticCorpus } from "./synthetic_corpus.js";

let corpus: string;
let work: string;
let cache: string;
let full: string;

// tiny preset: 8 windows of 32 tokens per step, 31 predicted tokens each: 248 tokens per step.
const TOKENS_PER_STEP = 248;

const run = (out: string, extra: Partial<TrainRequest> = {}): ReturnType<typeof runTrainRequest> =>
  runTrainRequest({
    corpus: [corpus],
    out,
    cache,
    preset: "tiny",
    valFraction: 0.1,
    steps: "40",
    evalEvery: "10",
    checkpointEvery: "10",
    snapshotEvery: "10",
    ...extra,
  });

function sameWeights(a: Model, b: Model): void {
  expect([...a.params.keys()]).toEqual([...b.params.keys()]);
  for (const [name, t] of a.params) {
    const u = b.params.get(name)!;
    expect(
      Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength).equals(
        Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      ),
      name,
    ).toBe(true);
  }
}

beforeAll(() => {
  corpus = makeSyntheticCorpus();
  work = mkdtempSync(join(tmpdir(), "csp-snap-"));
  cache = join(work, "cache");
  full = join(work, "full");
  run(full);
});

describe("csp train --snapshot-every", () => {
  test("due every N completed steps and after the last step only", () => {
    const due = Array.from({ length: 41 }, (_, i) => i).filter((i) => snapshotDue(i, 10, 40));
    expect(due).toEqual([9, 19, 29, 39, 40]);
    expect(Array.from({ length: 41 }, (_, i) => i).filter((i) => snapshotDue(i, 0, 40))).toEqual([]);
    expect(snapshotFile(250)).toBe("snapshots/step-000250.safetensors");
  });

  test("the snapshots appear at the cadence and config.json lists them (the final model last)", () => {
    const list = readSnapshotList(full);
    expect(list.map((e) => e.step)).toEqual([10, 20, 30, 40, 41]);
    expect(list.map((e) => e.tokens)).toEqual([10, 20, 30, 40, 41].map((s) => s * TOKENS_PER_STEP));
    expect(list.map((e) => e.file)).toEqual([10, 20, 30, 40, 41].map(snapshotFile));
    // Evaluation (every 10 completed steps and at the end) lines up with the snapshots.
    for (const e of list) expect(e.val_loss).toBeGreaterThan(0);
    // The last snapshot is the final model, byte for byte.
    expect(
      readFileSync(join(full, snapshotFile(41))).equals(readFileSync(join(full, "model.safetensors"))),
    ).toBe(true);
  });

  test("a snapshot loads as the model a run stopped at that step has", () => {
    const stopped = join(work, "stopped");
    const outcome = run(stopped, { stopAfterSteps: 20, tokenizer: join(full, "tokenizer") });
    expect(outcome.completed).toBe(false);
    expect(readSnapshotList(stopped).map((e) => e.step)).toEqual([10, 20]);
    const entry = readSnapshotList(full).find((e) => e.step === 20) as SnapshotEntry;
    const dir = join(work, "snap-20");
    snapshotModelDir(full, entry, dir);
    sameWeights(loadModel(dir), loadModel(stopped));
    // ...and not the model of another step (the comparison can fail).
    const other = join(work, "snap-30");
    snapshotModelDir(full, readSnapshotList(full)[2], other);
    expect(() => sameWeights(loadModel(other), loadModel(stopped))).toThrow();
  });

  test("resuming keeps the snapshots and continues the cadence; a new cadence is refused", () => {
    const resumed = join(work, "resumed");
    run(resumed, { stopAfterSteps: 15, tokenizer: join(full, "tokenizer") });
    expect(readSnapshotList(resumed).map((e) => e.step)).toEqual([10]);
    expect(() => run(resumed, { snapshotEvery: "5" })).toThrow(/train\.snapshot_every/);
    run(resumed);
    const list = readSnapshotList(resumed);
    expect(list).toEqual(readSnapshotList(full));
    for (const e of list)
      expect(readFileSync(join(resumed, e.file)).equals(readFileSync(join(full, e.file))), e.file).toBe(true);
  });

  test("a run without snapshots says how to make them", () => {
    const plain = join(work, "plain");
    run(plain, { steps: "12", snapshotEvery: undefined, tokenizer: join(full, "tokenizer") });
    expect(() => readSnapshotList(plain)).toThrow(
      /no weight snapshots; train it with `csp train \.\.\. --snapshot-every N/,
    );
  });
});
