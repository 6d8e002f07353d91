import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { ViewerFixture } from "./fixture.js";

/** The training records written to the fixture model's metrics.jsonl: 7 steps, validation at 0, 3 and 6. */
export const METRIC_STEPS = 7;
export const VAL_STEPS = [0, 3, 6];

/** Node sets of the four trajectory snapshots (the first not pruned) (sorted "site:index"), and when each node first entered. */
export const SNAPSHOT_NODES = [
  [],
  ["0.attn.q:1", "0.mlp.post_act:3", "final_resid:0"],
  ["0.attn.q:1", "0.mlp.post_act:3", "0.mlp.post_act:7", "1.attn.k:2", "final_resid:0"],
  ["0.attn.q:1", "0.mlp.post_act:7", "1.attn.k:2", "1.mlp.post_act:4", "final_resid:0", "final_resid:2"],
];
export const SNAPSHOT_STEPS = [50, 100, 200, 300];
export const ENTRY_STEP: Record<string, number> = {
  "0.attn.q:1": 100,
  "0.mlp.post_act:3": 100,
  "final_resid:0": 100,
  "0.mlp.post_act:7": 200,
  "1.attn.k:2": 200,
  "1.mlp.post_act:4": 300,
  "final_resid:2": 300,
};

export interface PanelsFixture {
  metrics: string;
  studyDir: string;
  /** The circuit file of study cell 0 (cells 1 and 2 name a missing file and one outside the study). */
  studyCircuit: string;
  trajectory: string;
  /** The circuit of the last snapshot (snapshot 0 was not pruned; the files of 1 and 2 are missing). */
  snapshotCircuit: string;
}

/**
 * Hand-written inputs of the model, study and trajectory panels around a viewer fixture: metrics.jsonl
 * in its model directory, a `csp study` output directory and a trajectory.json (csp-trajectory/1).
 */
export function writePanelsFixture(fx: ViewerFixture): PanelsFixture {
  const metrics = join(fx.modelDir, "metrics.jsonl");
  const records = Array.from({ length: METRIC_STEPS }, (_, step) => ({
    step,
    lr: step === 0 ? 0 : 1e-3 * (1 - step / 10),
    pfrac: 1 - step / 10,
    loss: 5 - 0.5 * step,
    ...(VAL_STEPS.includes(step) ? { val_loss: 5.2 - 0.5 * step } : {}),
    grad_norm: 1,
    nonzero: 1000 - 100 * step,
    prunable: 1000,
    tokens: 512 * (step + 1),
    elapsed_s: step,
  }));
  writeFileSync(metrics, records.map((r) => JSON.stringify(r) + "\n").join(""));

  const studyDir = join(fx.dir, "study");
  const studyCircuit = join(studyDir, "circuits", "m", "quotes", "learned-0.15.json");
  mkdirSync(join(studyDir, "circuits", "m", "quotes"), { recursive: true });
  copyFileSync(fx.circuit, studyCircuit);
  const cell = (circuit: string, target: number, reached: boolean) => ({
    model: "m",
    task: "quotes",
    target_loss: target,
    method: "learned",
    ablation: "mean",
    control: null,
    reached,
    nodes: 40,
    edges: 55,
    loss_full: 0.1,
    loss_circuit: 0.12,
    loss_circuit_ablated: 0.7,
    seconds: 3,
    circuit,
    total_nodes: 136,
    loss_calibrated: 0.11,
  });
  const study = {
    spec: { main_target: 0.15 },
    machine: { cpu: "test", cores: 2 },
    command: "csp study study.json --out study",
    started: "2026-12-01T00:00:00Z",
    seconds: 9,
    cell_seconds: 9,
    models: [
      {
        name: "m",
        kind: "sparse",
        kind_from: "config",
        dir: relative(studyDir, fx.modelDir), // study.json's paths are relative to the study directory
        val_loss: 2.2,
        nonzero_params: 500,
        total_params: 1000,
        train_seconds: null,
        weights_hash: "x",
        tokenizer_dir: relative(studyDir, fx.tokenizerDir),
      },
    ],
    tasks: [
      {
        model: "m",
        task: "quotes",
        file: relative(studyDir, fx.task),
        loss_full: 0.1,
        learned: true,
        unavailable: null,
      },
    ],
    cells: [
      cell("circuits/m/quotes/learned-0.15.json", 0.15, true),
      cell("circuits/m/quotes/learned-0.05.json", 0.05, false),
      cell("../outside.json", 0.3, true),
    ],
    summary: { sparse_model: "m", dense_model: null, matching: "one model", edge_ratio_geomean: null },
    plots: {},
  };
  writeFileSync(join(studyDir, "study.json"), JSON.stringify(study, null, 2));
  writeFileSync(
    join(studyDir, "edges_vs_target.svg"),
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#3182ce"/></svg>',
  );
  copyFileSync(fx.circuit, join(fx.dir, "outside.json"));

  const trajDir = join(fx.dir, "trajectory");
  mkdirSync(join(trajDir, "circuits"), { recursive: true });
  const snapshotCircuit = join(trajDir, "circuits", "step-000300.json");
  copyFileSync(fx.circuit, snapshotCircuit);
  const trajectory = join(trajDir, "trajectory.json");
  writeFileSync(
    trajectory,
    JSON.stringify({
      format: "csp-trajectory/1",
      model: { path: "../model", name: "fixture" },
      task: { name: "quotes", path: "../quotes.jsonl" },
      target_loss: 0.15,
      final_step: 300,
      snapshots: SNAPSHOT_NODES.map((nodes, i) => ({
        step: SNAPSHOT_STEPS[i],
        tokens: 1000 * (i + 1),
        val_loss: i === 1 ? null : 3 - i,
        task_loss: [0.9, 0.6, 0.2, 0.05][i],
        reached: i > 1,
        nodes: nodes.length,
        edges: 2 * nodes.length,
        node_set: nodes,
        jaccard_with_final: [0, 0.2, 0.5, 1][i],
        circuit: [
          null,
          "circuits/step-000100.json",
          "circuits/step-000200.json",
          "circuits/step-000300.json",
        ][i],
      })),
    }),
  );
  return { metrics, studyDir, studyCircuit, trajectory, snapshotCircuit };
}
