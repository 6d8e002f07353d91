/**
 * Circuit files on the bundled model for the graph-tools browser test: a small hand-made circuit whose
 * residual links and paths are known by construction, and a big whole-model circuit (every node, 49,152
 * edges) like an unreached prune result. Edges are synthetic (the viewer draws what the file lists).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CircuitFile } from "../../src/circuit/format.js";
import { loadModel } from "../../src/model/checkpoint.js";
import { configHash, sha256, weightsHash } from "../../src/model/model_hash.js";
import { rng } from "../helpers/random.js";

/**
 * The hand-made circuit (default model: d_model 128, 8 heads of 16, d_mlp 512). Residual links by
 * construction: 0.attn.resid_delta:5 → 0.mlp.act_in:5, final_resid:5; 0.attn.resid_delta:9 and
 * 0.mlp.resid_delta:9 → 1.attn.act_in:9; 1.attn.resid_delta:12 → final_resid:12; 0.mlp.resid_delta:40
 * is read by nothing.
 */
export const HAND_NODES: Record<string, number[]> = {
  "0.attn.act_in": [3, 7],
  "0.attn.q": [0],
  "0.attn.k": [1],
  "0.attn.v": [2, 20],
  "0.attn.resid_delta": [5, 9],
  "0.mlp.act_in": [5],
  "0.mlp.post_act": [10, 11],
  "0.mlp.resid_delta": [9, 40],
  "1.attn.act_in": [9],
  "1.attn.v": [4],
  "1.attn.resid_delta": [12],
  final_resid: [5, 12],
};

export const HAND_EDGES = [
  { src: "0.attn.act_in:3", dst: "0.attn.q:0", weight: 0.9 },
  { src: "0.attn.act_in:7", dst: "0.attn.k:1", weight: -0.5 },
  { src: "0.attn.act_in:3", dst: "0.attn.v:2", weight: 0.02 },
  { src: "0.attn.v:2", dst: "0.attn.resid_delta:5", weight: 0.6 },
  { src: "0.attn.v:20", dst: "0.attn.resid_delta:9", weight: 0.3 },
  { src: "0.mlp.act_in:5", dst: "0.mlp.post_act:10", weight: 0.7 },
  { src: "0.mlp.post_act:10", dst: "0.mlp.resid_delta:9", weight: -0.8 },
  { src: "0.mlp.post_act:11", dst: "0.mlp.resid_delta:40", weight: 0.4 },
  { src: "1.attn.act_in:9", dst: "1.attn.v:4", weight: 0.5 },
  { src: "1.attn.v:4", dst: "1.attn.resid_delta:12", weight: 0.45 },
];

/** Loss of the intact circuit on the effect pairs; each node's effect is this plus a made-up rise. */
export const HAND_BASE_LOSS = 0.2;

export interface GraphCircuits {
  hand: string;
  big: string;
  bigEdges: number;
}

function circuitFile(
  modelDir: string,
  task: string,
  nodes: Record<string, number[]>,
  edges: { src: string; dst: string; weight: number }[],
  extra: Partial<CircuitFile>,
): CircuitFile {
  const model = loadModel(modelDir);
  const count = Object.values(nodes).reduce((s, l) => s + l.length, 0);
  return {
    version: 1,
    model: {
      path: modelDir,
      name: "default",
      config_hash: configHash(model.config),
      weights_hash: weightsHash(model),
    },
    task: { path: task, name: "while_return_true", hash: sha256(readFileSync(task, "utf8")) },
    method: "learned",
    control: null,
    ablation: "mean",
    target_loss: 0.15,
    reached: true,
    loss_full: 0.05,
    loss_circuit: 0.12,
    loss_calibrated: 0.1,
    loss_empty: 0.69,
    eval: { split: "train", pairs: 8 },
    calibration: { scale: 1, shift: 0, token_shift: {} },
    nodes,
    num_nodes: count,
    total_nodes: 2944,
    num_edges: edges.length,
    edges,
    residual_links: [],
    node_effects: null,
    layer_effects: {},
    effects: { pairs: 8, base_loss: HAND_BASE_LOSS },
    prune_config: { seed: 0 },
    search_log: [],
    ...extra,
  };
}

/** Every node of the default model, per site. */
function allNodes(): Record<string, number[]> {
  const widths: Record<string, number> = {
    "attn.act_in": 128,
    "attn.q": 128,
    "attn.k": 128,
    "attn.v": 128,
    "attn.resid_delta": 128,
    "mlp.act_in": 128,
    "mlp.post_act": 512,
    "mlp.resid_delta": 128,
  };
  const out: Record<string, number[]> = {};
  for (let l = 0; l < 2; l++)
    for (const [site, w] of Object.entries(widths)) out[`${l}.${site}`] = [...Array(w).keys()];
  out.final_resid = [...Array(128).keys()];
  return out;
}

/** Writes both circuit files into `dir`. */
export function writeGraphCircuits(dir: string, modelDir: string, task: string): GraphCircuits {
  const effects: Record<string, number[]> = {};
  let k = 0;
  for (const [loc, list] of Object.entries(HAND_NODES))
    effects[loc] = list.map(() => HAND_BASE_LOSS + 0.01 * ++k);
  const hand = join(dir, "hand.json");
  writeFileSync(
    hand,
    JSON.stringify(
      circuitFile(modelDir, task, HAND_NODES, HAND_EDGES, {
        node_effects: effects,
        layer_effects: { "0.attn": 0.5, "0.mlp": 0.4, "1.attn": 0.3 },
      }),
    ),
  );

  // 24,576 edges in 0.attn (half of act_in × q|k|v) and 24,576 in 0.mlp (of act_in × post_act).
  const r = rng(11);
  const edges: { src: string; dst: string; weight: number }[] = [];
  const pick = (srcLoc: string, dstLocs: string[], dstWidth: number, want: number) => {
    const pairs: [string, string][] = [];
    for (const dst of dstLocs)
      for (let j = 0; j < dstWidth; j++)
        for (let i = 0; i < 128; i++) pairs.push([`${srcLoc}:${i}`, `${dst}:${j}`]);
    for (let i = pairs.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [pairs[i], pairs[j]] = [pairs[j], pairs[i]];
    }
    for (const [src, dst] of pairs.slice(0, want))
      edges.push({ src, dst, weight: Number(((r() * 2 - 1) * 0.5).toPrecision(6)) });
  };
  pick("0.attn.act_in", ["0.attn.q", "0.attn.k", "0.attn.v"], 128, 24_576);
  pick("0.mlp.act_in", ["0.mlp.post_act"], 512, 24_576);
  const big = join(dir, "big.json");
  // Its task file is missing on purpose: the circuit is drawn, not re-evaluated (this test is about drawing).
  const noTask = { path: join(dir, "no-such-task.jsonl"), name: "while_return_true", hash: "0" };
  writeFileSync(
    big,
    JSON.stringify(circuitFile(modelDir, task, allNodes(), edges, { reached: false, task: noTask })),
  );
  return { hand, big, bigEdges: edges.length };
}
