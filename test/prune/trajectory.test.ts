import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { readCircuit } from "../../src/circuit/read.js";
import { loadModel } from "../../src/model/checkpoint.js";
import { weightsHash } from "../../src/model/model_hash.js";
import { DEFAULT_MASK_TRAIN } from "../../src/prune/config.js";
import { PRUNE_JOB_DEFAULTS } from "../../src/prune/run.js";
import { runTrajectory, type TrajectoryJob } from "../../src/prune/trajectory.js";
import { jaccard, type TrajectoryFile } from "../../src/prune/trajectory_format.js";
import { TRAJECTORY_PLOTS } from "../../src/prune/trajectory_plots.js";
import { writeMarkerTask } from "../helpers/planted_text.js";
import { writeSnapshotRun } from "./trajectory_fixture.js";

let work: string;
let runDir: string;
let taskPath: string;
let out: string;
let t: TrajectoryFile;
const firstLog: string[] = [];
const resumeLog: string[] = [];

const job = (outDir: string, log?: string[]): TrajectoryJob => ({
  runDir,
  taskPath,
  outDir,
  prune: {
    ...PRUNE_JOB_DEFAULTS,
    mask: { ...DEFAULT_MASK_TRAIN, steps: 48, batch_pairs: 8 },
    evalPairs: 16,
    effectsPairs: 2,
    maxEffectNodes: 0,
    repairRounds: 1,
  },
  means: { tokens: 512 },
  log: log ? (l) => log.push(l) : undefined,
});

/** Every "site:index" of a circuit file's nodes, sorted. */
function circuitNodes(file: string): string[] {
  const nodes = readCircuit(file).nodes;
  return Object.keys(nodes)
    .flatMap((site) => nodes[site].map((i) => `${site}:${i}`))
    .sort();
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "csp-traj-"));
  runDir = join(work, "run");
  writeSnapshotRun(runDir);
  taskPath = join(work, "tasks", "marker.jsonl");
  writeMarkerTask(taskPath, 40);
  out = join(work, "traj");
  // An interruption: the final snapshot is unreadable, so the run stops there; fixed, the rerun resumes.
  const last = join(runDir, "snapshots", "step-000030.safetensors");
  const bytes = readFileSync(last);
  writeFileSync(last, "not a safetensors file");
  expect(() => runTrajectory(job(out, firstLog))).toThrow(/step-000030/);
  expect(existsSync(out)).toBe(false);
  writeFileSync(last, bytes);
  t = runTrajectory(job(out, resumeLog)).trajectory;
}, 60_000);

describe("Jaccard overlap", () => {
  test("hand-computed values on fixed sets", () => {
    expect(jaccard(["a", "b", "c"], ["b", "c", "d"])).toBe(2 / 4);
    expect(jaccard(["a"], ["a"])).toBe(1);
    expect(jaccard(["a", "b"], [])).toBe(0);
    expect(jaccard([], [])).toBeNull();
  });
});

describe("csp trajectory on a three-snapshot run", () => {
  test("an interrupted run leaves no output directory and the rerun reuses the finished snapshots", () => {
    expect(firstLog.some((l) => l.includes("step 20: "))).toBe(true);
    expect(resumeLog.filter((l) => l.includes("reused from the interrupted run")).length).toBe(2);
    expect(resumeLog[2]).toMatch(/^\[3\/3\] step 30: .*\d+\.\ds\)$/);
    expect(existsSync(`${out}.partial`)).toBe(false);
  });

  test("trajectory.json follows the schema", () => {
    const onDisk = JSON.parse(readFileSync(join(out, "trajectory.json"), "utf8")) as TrajectoryFile;
    expect(onDisk).toEqual(t);
    expect(t.format).toBe("csp-trajectory/1");
    expect(t.model).toEqual({ path: "../run", name: "run" });
    expect(t.task).toEqual({ name: "marker", path: "../tasks/marker.jsonl" });
    expect(t.target_loss).toBe(PRUNE_JOB_DEFAULTS.targetLoss);
    expect(t.final_step).toBe(30);
    expect(t.snapshots.map((s) => [s.step, s.tokens, s.val_loss])).toEqual([
      [10, 1000, 4],
      [20, 2000, null],
      [30, 3000, 2],
    ]);
    for (const s of t.snapshots)
      expect(Object.keys(s).sort()).toEqual(
        [
          "circuit",
          "edges",
          "jaccard_with_final",
          "nodes",
          "node_set",
          "reached",
          "step",
          "task_loss",
          "tokens",
          "val_loss",
        ].sort(),
      );
  });

  test("a snapshot whose full model misses the target is recorded and not pruned", () => {
    const [blank] = t.snapshots;
    // Zero weights: both answers get logit 0, so every pair's loss is softplus(0) = ln 2.
    expect(blank.task_loss).toBeCloseTo(Math.LN2, 9);
    expect(blank).toMatchObject({ reached: false, nodes: 0, edges: 0, node_set: [], circuit: null });
    expect(blank.jaccard_with_final).toBe(0);
  });

  test("node sets match the circuit files; Jaccard with the final set by hand", () => {
    const [, mid, final] = t.snapshots;
    for (const s of [mid, final]) {
      expect(s.circuit).toBe(`circuits/step-0000${s.step}.json`);
      const file = join(out, s.circuit!);
      expect(s.node_set).toEqual(circuitNodes(file));
      expect(s.nodes).toBe(s.node_set.length);
      expect(s.edges).toBe(readCircuit(file).num_edges);
      expect(s.reached).toBe(true);
      expect(s.task_loss).toBeLessThan(0.15);
    }
    const finalSet = new Set(final.node_set);
    const common = mid.node_set.filter((n) => finalSet.has(n)).length;
    expect(mid.jaccard_with_final).toBe(common / (mid.node_set.length + final.node_set.length - common));
    expect(final.jaccard_with_final).toBe(1);
  });

  test("each circuit points at its snapshot's model directory, with that snapshot's weights and means", () => {
    const file = join(out, "circuits", "step-000020.json");
    const c = readCircuit(file);
    const modelDir = join(out, "circuits", c.model.path);
    expect(c.model.path).toBe("../models/step-000020");
    const model = loadModel(modelDir);
    expect(c.model.weights_hash).toBe(weightsHash(model));
    expect(weightsHash(model)).not.toBe(weightsHash(loadModel(join(out, "models", "step-000030"))));
    expect(existsSync(join(modelDir, "means.safetensors"))).toBe(true);
    expect(existsSync(join(out, "circuits", c.task.path))).toBe(true);
  });

  test("the plots have one point per snapshot (loss, overlap) and per pruned snapshot (size)", () => {
    const circles = (name: string) => (readFileSync(join(out, name), "utf8").match(/<circle /g) ?? []).length;
    // Plus one legend marker per series drawn with markers.
    expect(circles(TRAJECTORY_PLOTS.loss)).toBe(3 + 1);
    expect(circles(TRAJECTORY_PLOTS.overlap)).toBe(3 + 1);
    expect(circles(TRAJECTORY_PLOTS.size)).toBe(2 * 2 + 2);
  });

  test("an existing output directory and a run without snapshots are one-line errors", () => {
    expect(() => runTrajectory(job(out))).toThrow(/traj: already exists; choose a new --out/);
    expect(() => runTrajectory({ ...job(join(work, "t2")), runDir: join(work, "tasks") })).toThrow(
      /config\.json: missing/,
    );
  });
});
