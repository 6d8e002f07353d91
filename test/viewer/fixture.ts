import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeSafetensors } from "../../src/io/safetensors.js";
import { configHash, sha256, weightsHash } from "../../src/model/model_hash.js";
import { saveModel } from "../../src/model/checkpoint.js";
import type { Model } from "../../src/model/model.js";
import { saveTokenizer } from "../../src/tokenizer/tokenizer_files.js";
import { trainBpe } from "../../src/tokenizer/train_bpe.js";
import type { Tokenizer } from "../../src/tokenizer/tokenizer.js";
import { randomModel, testConfig } from "../helpers/models.js";
import { rng } from "../helpers/random.js";

/** A small model, tokenizer, corpus, task and hand-made circuit on disk, for viewer tests. */
export interface ViewerFixture {
  dir: string;
  modelDir: string;
  tokenizerDir: string;
  corpus: string;
  task: string;
  circuit: string;
  badCircuit: string;
  model: Model;
  tokenizer: Tokenizer;
  /** The hand-picked nodes of the circuit. */
  nodes: Record<string, number[]>;
  /** The mean activations written to means.safetensors (seeded numbers, not real means). */
  means: Map<string, Float32Array>;
  /** The calibration written to the circuit: scale and per-token shifts. */
  calibration: { scale: number; tokenShift: Map<number, number> };
}

/** Node sites of the fixture model and their widths: 2·8 + 3·8 + 2·8 + 16 per layer, 8 at the end. */
const MODEL_NODES = 2 * (2 * 8 + 3 * 8 + 2 * 8 + 16) + 8;

const NAMES = ["alpha", "beta", "gamma", "delta", "count", "value", "items", "name", "path", "data"];

/** Python-like lines with single- and double-quoted strings: the corpus and the task share them. */
function corpusText(seed: number, lines: number): string {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const q = r() < 0.5 ? '"' : "'";
    const kind = Math.floor(r() * 4);
    if (kind === 0) out.push(`${pick(NAMES)} = print(${q}${pick(NAMES)} ${pick(NAMES)}${q})`);
    else if (kind === 1) out.push(`for ${pick(NAMES)} in range(${Math.floor(r() * 20)}):`);
    else if (kind === 2) out.push(`    ${pick(NAMES)}[${q}${pick(NAMES)}${q}] = ${pick(NAMES)}`);
    else out.push(`def ${pick(NAMES)}(${pick(NAMES)}, ${pick(NAMES)}=None):`);
  }
  return out.join("\n") + "\n";
}

/** The circuit's nodes: a few channels at every location of a 2-layer model (d_model 8, d_attn 8, d_mlp 16). */
export const FIXTURE_NODES: Record<string, number[]> = {
  "0.attn.act_in": [0, 2, 5],
  "0.attn.q": [0, 1, 5],
  "0.attn.k": [0, 4],
  "0.attn.v": [1, 6],
  "0.attn.resid_delta": [0, 3],
  "0.mlp.act_in": [1, 2, 3],
  "0.mlp.post_act": [3, 7, 9],
  "0.mlp.resid_delta": [0, 2],
  "1.attn.act_in": [0, 3, 6],
  "1.attn.q": [2, 3, 6],
  "1.attn.k": [2, 7],
  "1.attn.v": [0, 3, 5],
  "1.attn.resid_delta": [1, 2, 6],
  "1.mlp.act_in": [0, 2],
  "1.mlp.post_act": [4, 11, 12, 15],
  "1.mlp.resid_delta": [0, 5],
  final_resid: [0, 2, 5],
};

/**
 * Every nonzero weight between two retained nodes of one sublayer, written out from the weight layout
 * (c_attn rows q|k|v, c_proj columns = v channels, c_fc, mlp c_proj) independently of the viewer.
 */
function circuitEdges(model: Model, nodes: Record<string, number[]>) {
  const edges: { src: string; dst: string; weight: number }[] = [];
  const D = model.dims.dAttn;
  const add = (weight: string, cols: number, src: string, dst: string, rowOffset: number) => {
    const w = model.params.get(weight)!.data;
    for (const i of nodes[src] ?? [])
      for (const j of nodes[dst] ?? []) {
        const v = w[(rowOffset + j) * cols + i];
        if (v !== 0) edges.push({ src: `${src}:${i}`, dst: `${dst}:${j}`, weight: v });
      }
  };
  for (let l = 0; l < model.dims.nLayer; l++) {
    const p = `transformer.h.${l}`;
    const dIn = model.dims.dModelIn;
    add(`${p}.attn.c_attn.weight`, dIn, `${l}.attn.act_in`, `${l}.attn.q`, 0);
    add(`${p}.attn.c_attn.weight`, dIn, `${l}.attn.act_in`, `${l}.attn.k`, D);
    add(`${p}.attn.c_attn.weight`, dIn, `${l}.attn.act_in`, `${l}.attn.v`, 2 * D);
    add(`${p}.attn.c_proj.weight`, D, `${l}.attn.v`, `${l}.attn.resid_delta`, 0);
    add(`${p}.mlp.c_fc.weight`, dIn, `${l}.mlp.act_in`, `${l}.mlp.post_act`, 0);
    add(`${p}.mlp.c_proj.weight`, model.dims.dMlp, `${l}.mlp.post_act`, `${l}.mlp.resid_delta`, 0);
  }
  return edges;
}

/** Builds everything under a fresh temporary directory (seeded: the same files every run). */
export function makeViewerFixture(seed = 7): ViewerFixture {
  const dir = mkdtempSync(join(tmpdir(), "csp-viewer-"));
  const text = corpusText(seed, 400);
  const corpus = join(dir, "corpus.py");
  writeFileSync(corpus, text);
  const tokenizer = trainBpe(
    text.split("\n").map((l) => l + "\n"),
    { vocabSize: 300 },
  );
  const tokenizerDir = join(dir, "tokenizer");
  saveTokenizer(tokenizerDir, tokenizer);

  const config = testConfig({
    vocab_size: tokenizer.vocabSize,
    block_size: 48,
    n_layer: 2,
    n_head: 2,
    d_head: 4,
    d_model: 8,
    d_mlp: 16,
    bias: true,
  });
  const model = randomModel(config, seed, "f32");
  // Weight sparsity as in a trained weight-sparse model: most matrix entries are exactly zero.
  const r = rng(seed + 1);
  for (const [name, t] of model.params)
    if (/\.(c_attn|c_proj|c_fc)\.weight$/.test(name))
      for (let i = 0; i < t.data.length; i++) if (r() < 0.55) t.data[i] = 0;
  const modelDir = join(dir, "model");
  saveModel(modelDir, model);

  // The means cache as `csp means` writes it: one mean per site, the windows it came from, the model hash.
  const means = new Map<string, Float32Array>();
  const widths: Record<string, number> = { act_in: 8, q: 8, k: 8, v: 8, resid_delta: 8, post_act: 16 };
  const mr = rng(seed + 2);
  const meanTensors = new Map();
  for (const loc of Object.keys(FIXTURE_NODES)) {
    const w = loc === "final_resid" ? 8 : widths[loc.split(".")[2]];
    const m = Float32Array.from({ length: w }, () => 0.3 * (mr() * 2 - 1));
    means.set(loc, m);
    meanTensors.set(loc, { dtype: "F32", shape: [w], data: m });
  }
  const stream = tokenizer.encode(text);
  const windows = Int32Array.from({ length: 16 * 32 }, (_, i) => stream[Math.floor(i / 32) * 97 + (i % 32)]);
  meanTensors.set("windows", { dtype: "I32", shape: [16, 32], data: windows });
  writeSafetensors(join(modelDir, "means.safetensors"), meanTensors, {
    source: corpus,
    model_hash: weightsHash(model),
  });

  const task = join(dir, "quotes.jsonl");
  const tr = rng(seed + 3);
  const lines: string[] = [];
  for (let i = 0; i < 16; i++) {
    const a = NAMES[Math.floor(tr() * NAMES.length)];
    const b = NAMES[Math.floor(tr() * NAMES.length)];
    const split = i < 12 ? "train" : "test";
    lines.push(
      JSON.stringify({
        split,
        a: `x = print("${a} ${b}`,
        b: `x = print('${a} ${b}`,
        a_next: '"',
        b_next: "'",
      }),
    );
  }
  writeFileSync(task, lines.join("\n") + "\n");

  const nodes = FIXTURE_NODES;
  const edges = circuitEdges(model, nodes);
  const total = Object.values(nodes).reduce((s, l) => s + l.length, 0);
  const effects: Record<string, number[]> = {};
  let k = 0;
  for (const [loc, list] of Object.entries(nodes))
    effects[loc] = list.map(() => 0.2 + ((k++ * 37) % 23) / 10);
  const quote = tokenizer.encode('"')[0];
  const calibration = { scale: 1.25, tokenShift: new Map([[quote, 0.3]]) };
  // Every field of the circuit format (src/circuit/format.ts); the loss numbers are made up.
  const circuit = {
    version: 1,
    model: {
      path: modelDir,
      name: "model",
      config_hash: configHash(config),
      weights_hash: weightsHash(model),
    },
    task: { path: task, name: "quotes", hash: sha256(lines.join("\n") + "\n") },
    method: "learned",
    control: null,
    ablation: "mean",
    target_loss: 0.15,
    reached: false,
    loss_full: 0.4,
    loss_circuit: 0.52,
    loss_calibrated: 0.47,
    loss_empty: 0.69,
    eval: { split: "train", pairs: 12 },
    calibration: { scale: calibration.scale, shift: 0, token_shift: { [String(quote)]: 0.3 } },
    nodes,
    num_nodes: total,
    total_nodes: MODEL_NODES,
    num_edges: edges.length,
    edges,
    residual_links: [],
    node_effects: effects,
    layer_effects: { "0.attn": 0.9, "0.mlp": 0.6, "1.attn": 1.8, "1.mlp": 0.7 },
    effects: { pairs: 12, base_loss: 0.5 },
    prune_config: { seed: 0, k_coef: 1e-4, lr: 3e-3 },
    search_log: [
      {
        trial: 0,
        hyper: {},
        trained_kept: 40,
        k: total,
        loss: 0.52,
        reached: false,
        bisection: [
          [8, 1.4],
          [16, 0.9],
          [32, 0.55],
          [total, 0.52],
        ],
        curve: [],
      },
    ],
  };
  const circuitPath = join(dir, "circuit.json");
  writeFileSync(circuitPath, JSON.stringify(circuit, null, 2));
  const badCircuit = join(dir, "broken.json");
  writeFileSync(badCircuit, '{"version": 1, "nodes": {');
  mkdirSync(join(dir, "secret"), { recursive: true });
  writeFileSync(join(dir, "secret", "key.txt"), "do not serve");
  return {
    dir,
    modelDir,
    tokenizerDir,
    corpus,
    task,
    circuit: circuitPath,
    badCircuit,
    model,
    tokenizer,
    nodes,
    means,
    calibration,
  };
}
