import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { trajectoryCommand, type TrajectoryFlags } from "../../src/cli/commands/trajectory.js";
import { saveModel } from "../../src/model/checkpoint.js";
import { plantedModel } from "../../src/prune/synthetic.js";
import { writeMarkerTask } from "../helpers/planted_text.js";
import { writeSnapshotRun } from "../prune/trajectory_fixture.js";

let work: string;
let runDir: string;
let taskPath: string;

const flags = (out: string, extra: Partial<TrajectoryFlags> = {}): TrajectoryFlags => ({
  model: runDir,
  task: taskPath,
  out,
  steps: "48",
  batch: "8",
  evalPairs: "16",
  effectsPairs: "2",
  maxEffectNodes: "0",
  repairRounds: "1",
  tokens: "512",
  quiet: true,
  ...extra,
});

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "csp-traj-cli-"));
  runDir = join(work, "run");
  writeSnapshotRun(runDir);
  taskPath = join(work, "marker.jsonl");
  writeMarkerTask(taskPath, 40);
});

describe("csp trajectory (in process)", () => {
  test("prune flags reach every snapshot's circuit; the summary counts pruned and skipped snapshots", () => {
    const out = join(work, "t");
    const line = trajectoryCommand(flags(out, { targetLoss: "0.2", seed: "3" }));
    expect(line).toMatch(
      /^wrote .*trajectory\.json: 3 snapshots, 2 pruned, 1 not learned; final step 30: \d+ nodes/,
    );
    const circuit = JSON.parse(readFileSync(join(out, "circuits", "step-000030.json"), "utf8"));
    expect(circuit.target_loss).toBe(0.2);
    expect(circuit.prune_config).toMatchObject({ seed: 3, steps: 48, batch_pairs: 8, eval_pairs: 16 });
  });

  test("--at prunes the named snapshots and the final one; a step that is no snapshot is refused", () => {
    const out = join(work, "at");
    trajectoryCommand(flags(out, { at: "20" }));
    const t = JSON.parse(readFileSync(join(out, "trajectory.json"), "utf8"));
    expect(t.snapshots.map((s: { step: number }) => s.step)).toEqual([20, 30]);
    expect(() => trajectoryCommand(flags(join(work, "at2"), { at: "20,15" }))).toThrow(
      /^--at: step 15 is not a snapshot of .*run \(snapshots: 10, 20, 30\)$/,
    );
  });

  test("bad flags and a run without snapshots are one-line errors, and nothing is written", () => {
    const out = join(work, "bad");
    expect(() => trajectoryCommand(flags(out, { targetLoss: "0" }))).toThrow(/--target-loss/);
    expect(() => trajectoryCommand(flags(out, { steps: "x" }))).toThrow(/--steps/);
    const plain = join(work, "plain");
    saveModel(plain, plantedModel({ seed: 1 }), { train: { n_ctx: 16 } });
    expect(() => trajectoryCommand(flags(out, { model: plain }))).toThrow(
      /plain\/config\.json: the run has no weight snapshots; train it with `csp train \.\.\. --snapshot-every N --out NEW_DIR`$/,
    );
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.partial`)).toBe(false);
  });
});
