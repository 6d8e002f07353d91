import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { CspError } from "../errors.js";
import { TorchArchive } from "../io/torch/torch_archive.js";
import { isTensorRef } from "../io/torch/torch_pickle.js";
import { loadModel } from "../model/checkpoint.js";
import { modelDims, parseConfig } from "../model/config.js";
import type { Model } from "../model/model.js";
import { configHash, weightsHash } from "../model/model_hash.js";
import { circuitEdges, residualLinks } from "./edges.js";
import { CIRCUIT_VERSION, type CircuitFile } from "./format.js";
import { nodeLayout, type NodeLayout } from "./nodes.js";

/** One pretraining document around the position it was chosen for (spec H.1 `samples`). */
export interface ImportedSnippet {
  tokens: number[];
  /** The node's activation at each token. */
  acts: number[];
  /** Index into `tokens` of the chosen position. */
  focus: number;
}

/** The documents at one quantile: bottom and top `fraction` of the node's activations. */
export interface ImportedQuantile {
  fraction: number;
  bottom: ImportedSnippet[];
  top: ImportedSnippet[];
}

/** What the circuit file records about the viz_data it came from, beyond the common fields. */
export interface ImportedVizInfo {
  from: "viz_data";
  path: string;
  sha256: string;
  /** From the public layout `viz/<model>/<task>/<sweep>/<k>/viz_data.pt`, when the path has it. */
  reference_model: string | null;
  task: string | null;
  sweep: string | null;
  k: string | null;
  /** Common fields the viz data does not carry, and what was written in their place. */
  filled: Record<string, string>;
  /** The pruning search's progress, `all_loss`: [iteration, loss] (halved, as every loss here). */
  all_loss: [number, number][];
  /** `pair_data`: the loss change of each drawn edge (halved); bias rows left out. */
  edge_importance: { src: string; dst: string; delta: number }[];
}

/** Our circuit file with what a viz_data import adds. */
export type ImportedCircuit = CircuitFile & {
  imported: ImportedVizInfo;
  /** `samples`, per circuit node ("site:index"): quantile buckets of pretraining snippets. */
  pretraining_snippets: Record<string, ImportedQuantile[]>;
};

export interface ImportVizOptions {
  /** The reference visualiser's `viz_data.pt`. */
  viz: string;
  /** Our checkpoint directory of the model the circuit was found on (e.g. `csp convert` of it). */
  model: string;
  /** Optional task file (JSONL) to tie the circuit to, so that the viewer can evaluate it live. */
  task?: string;
}

/** The reference viewer shows ±50 tokens around the focus and 5 documents per bucket (spec H.2). */
export const SNIPPET_HALF_WINDOW = 50;
export const SNIPPETS_PER_BUCKET = 5;
/** The paper's target loss (spec E.3), used when the viz data's prune_config names none. */
export const DEFAULT_TARGET_LOSS = 0.15;
// Every loss the reference stores is a pair sum: twice the per-sequence loss our files hold (spec E.4).
const PAIR = 2;

type Fail = (problem: string) => never;

function r9(x: number): number {
  return Number(x.toPrecision(9));
}

/**
 * Reads a viz_data.pt of the reference visualiser (spec H.1) with the restricted unpickler and turns
 * it into our circuit file over `model`: nodes (sorted, effects kept aligned), the weight edges between
 * them and the residual links (from the model, as for our own circuits), node and layer effects, the
 * full and circuit losses, the pretraining snippets, and what the format needs but viz data lacks
 * filled in and listed in `imported.filled`. Throws a one-line CspError on any problem.
 */
export function importVizCircuit(opts: ImportVizOptions): ImportedCircuit {
  const model = loadModel(opts.model);
  const layout = nodeLayout(model.dims);
  const archive = TorchArchive.open(opts.viz);
  try {
    return new VizReader(archive, opts.viz).circuit(model, layout, opts);
  } finally {
    archive.close();
  }
}

class VizReader {
  readonly fail: Fail;

  constructor(
    private readonly archive: TorchArchive,
    private readonly path: string,
  ) {
    this.fail = (problem) => {
      throw new CspError(`${path}: ${problem}`);
    };
  }

  circuit(model: Model, layout: NodeLayout, opts: ImportVizOptions): ImportedCircuit {
    const root = this.archive.root;
    if (!(root instanceof Map)) this.fail("not viz data: the file holds no dict");
    const top = root as Map<unknown, unknown>;
    const circuitData = this.dict(this.required(top, "circuit_data", "viz data"), "circuit_data");
    const importances = this.dict(this.required(top, "importances", "viz data"), "importances");
    this.checkModel(
      importances.get("beeg_model_config"),
      top.get("num_total_nodes"),
      model,
      layout,
      opts.model,
    );

    const { nodes, order } = this.nodes(circuitData, layout);
    const keep = new Float32Array(layout.total);
    for (const [site, list] of Object.entries(nodes))
      for (const c of list) keep[layout.byName.get(site)!.offset + c] = 1;
    const lossFull =
      this.number(this.required(importances, "loss", "importances"), "importances.loss") / PAIR;
    const lossCircuit =
      this.number(this.required(importances, "interv_loss", "importances"), "importances.interv_loss") / PAIR;
    const pruneConfig = this.pruneConfig(top.get("prune_config") ?? circuitData.get("prune_config"));
    const target = pruneConfig.target_loss;
    const targetLoss = typeof target === "number" && Number.isFinite(target) ? target : DEFAULT_TARGET_LOSS;
    const edges = circuitEdges(model, layout, keep);
    const numNodes = Object.values(nodes).reduce((s, l) => s + l.length, 0);
    const filled: Record<string, string> = {
      loss_circuit: "the calibrated circuit loss (viz data keeps only interv_loss, after calibration)",
      loss_empty: "-1 (not in viz data)",
      calibration: "identity (the reference's fitted scale and shift are not in viz data)",
      eval: 'split "reference": the reference\'s own task pairs; pairs = task_samples docs / 2, or 0',
      search_log: "[] (the search's progress is in imported.all_loss)",
      ablation: "mean (the reference's pruning ablation, spec E.2)",
    };
    if (!(typeof target === "number" && Number.isFinite(target)))
      filled.target_loss = `${DEFAULT_TARGET_LOSS} (the paper's target; prune_config names none)`;
    const task = this.task(opts.task);
    if (opts.task === undefined) filled.task = "no task file (pass --task to tie one)";
    const nodeEffects = this.nodeEffects(importances.get("ch_interv_losses"), nodes, order);
    if (nodeEffects === null) filled.node_effects = "null (no ch_interv_losses)";

    return {
      version: CIRCUIT_VERSION,
      model: {
        path: opts.model,
        name: basename(opts.model),
        config_hash: configHash(model.config),
        weights_hash: weightsHash(model),
      },
      task,
      method: "imported-viz",
      control: null,
      ablation: "mean",
      target_loss: targetLoss,
      reached: lossCircuit <= targetLoss,
      loss_full: r9(lossFull),
      loss_circuit: r9(lossCircuit),
      loss_calibrated: r9(lossCircuit),
      loss_empty: -1,
      eval: { split: "reference", pairs: this.taskPairs(importances.get("task_samples")) },
      calibration: { scale: 1, shift: 0, token_shift: {} },
      nodes,
      num_nodes: numNodes,
      total_nodes: layout.total,
      num_edges: edges.length,
      edges,
      residual_links: residualLinks(layout, keep),
      node_effects: nodeEffects,
      layer_effects: this.layerEffects(importances.get("layer_interv_losses")),
      effects: { pairs: 0, base_loss: r9(lossCircuit) },
      prune_config: pruneConfig,
      search_log: [],
      imported: {
        from: "viz_data",
        path: this.path,
        sha256: createHash("sha256").update(readFileSync(this.path)).digest("hex"),
        ...publicLayout(this.path),
        filled,
        all_loss: this.allLoss(top.get("all_loss")),
        edge_importance: this.edgeImportance(importances.get("pair_data"), nodes, layout),
      },
      pretraining_snippets: this.snippets(top.get("samples"), nodes),
    };
  }

  /** The viz data's model config (when it carries one) and node count must be those of --model. */
  private checkModel(
    rawConfig: unknown,
    totalNodes: unknown,
    model: Model,
    layout: NodeLayout,
    dir: string,
  ): void {
    if (rawConfig !== undefined) {
      const { config } = parseConfig(
        this.json(rawConfig, "importances.beeg_model_config"),
        `${this.path} (beeg_model_config)`,
      );
      const theirs = modelDims(config);
      const ours = model.dims;
      for (const key of ["nLayer", "nHead", "dHead", "dModel", "dMlp", "dModelIn", "vocab"] as const) {
        if (theirs[key] !== ours[key])
          this.fail(
            `made for another model: its beeg_model_config has ${key} ${theirs[key]}, the model in ${dir} has ${ours[key]}`,
          );
      }
    }
    if (totalNodes !== undefined) {
      const n = this.number(totalNodes, "num_total_nodes");
      if (n !== layout.total)
        this.fail(
          `made for another model: num_total_nodes is ${n}, the model in ${dir} has ${layout.total} nodes`,
        );
    }
  }

  /** circuit_data → sorted node lists, and for each site the sorted position of each stored entry. */
  private nodes(
    circuitData: Map<unknown, unknown>,
    layout: NodeLayout,
  ): { nodes: Record<string, number[]>; order: Map<string, number[]> } {
    const nodes: Record<string, number[]> = {};
    const order = new Map<string, number[]>();
    const sites = [...circuitData.keys()].filter((k) => k !== "prune_config");
    // In the model's site order, as our own circuit files list them.
    const position = (k: unknown) => layout.sites.findIndex((s) => s.name === k);
    for (const key of sites) {
      if (typeof key !== "string" || position(key) < 0)
        this.fail(
          `circuit_data key ${JSON.stringify(String(key))} is not a node site of the model (e.g. "0.attn.q", "final_resid")`,
        );
    }
    sites.sort((a, b) => position(a) - position(b));
    for (const site of sites as string[]) {
      const stored = this.intList(circuitData.get(site), `circuit_data["${site}"]`);
      const width = layout.byName.get(site)!.width;
      for (const c of stored)
        if (c < 0 || c >= width) this.fail(`circuit_data["${site}"] has index ${c}, outside [0, ${width})`);
      const sorted = [...stored].sort((a, b) => a - b);
      for (let i = 1; i < sorted.length; i++)
        if (sorted[i] === sorted[i - 1]) this.fail(`circuit_data["${site}"] lists index ${sorted[i]} twice`);
      if (sorted.length === 0) continue;
      nodes[site] = sorted;
      order.set(
        site,
        stored.map((c) => sorted.indexOf(c)),
      );
    }
    return { nodes, order };
  }

  private nodeEffects(
    raw: unknown,
    nodes: Record<string, number[]>,
    order: Map<string, number[]>,
  ): Record<string, number[]> | null {
    if (raw === undefined) return null;
    const losses = this.dict(raw, "importances.ch_interv_losses");
    const out: Record<string, number[]> = {};
    for (const [site, list] of Object.entries(nodes)) {
      if (!losses.has(site)) continue;
      const stored = this.numberList(losses.get(site), `importances.ch_interv_losses["${site}"]`);
      if (stored.length !== list.length)
        this.fail(
          `importances.ch_interv_losses["${site}"] has ${stored.length} losses for ${list.length} circuit nodes`,
        );
      const aligned = new Array<number>(list.length);
      order.get(site)!.forEach((at, i) => (aligned[at] = r9(stored[i] / PAIR)));
      out[site] = aligned;
    }
    return out;
  }

  private layerEffects(raw: unknown): Record<string, number> {
    if (raw === undefined) return {};
    const out: Record<string, number> = {};
    for (const [key, v] of this.dict(raw, "importances.layer_interv_losses")) {
      if (typeof key !== "string" || !/^\d+\.(attn|mlp)$/.test(key))
        this.fail(
          `importances.layer_interv_losses key ${JSON.stringify(String(key))} is not "{layer}.attn" or "{layer}.mlp"`,
        );
      out[key] = r9(this.number(v, `importances.layer_interv_losses["${key}"]`) / PAIR);
    }
    return out;
  }

  private edgeImportance(
    raw: unknown,
    nodes: Record<string, number[]>,
    layout: NodeLayout,
  ): ImportedVizInfo["edge_importance"] {
    if (raw === undefined) return [];
    const out: ImportedVizInfo["edge_importance"] = [];
    this.list(raw, "importances.pair_data").forEach((entry, e) => {
      const what = `importances.pair_data[${e}]`;
      const item = this.list(entry, what);
      if (item.length !== 4)
        this.fail(`${what} must be [matrix, source indices, target indices, (source, target)]`);
      const m = this.tensor(item[0], `${what}[0]`);
      const srcIdx = this.intList(item[1], `${what}[1]`);
      const dstIdx = this.intList(item[2], `${what}[2]`);
      const locs = this.list(item[3], `${what}[3]`);
      const [src, dst] = locs;
      if (
        locs.length !== 2 ||
        typeof src !== "string" ||
        typeof dst !== "string" ||
        !layout.byName.has(src) ||
        !layout.byName.has(dst)
      )
        this.fail(`${what}[3] must name two node sites of the model`);
      const [rows, cols] = m.shape;
      // A trailing "bias" row (the sublayer's bias as a source) may follow the source nodes.
      if (
        m.shape.length !== 2 ||
        cols !== dstIdx.length ||
        (rows !== srcIdx.length && rows !== srcIdx.length + 1)
      )
        this.fail(
          `${what}[0] has shape [${m.shape.join(", ")}], not [${srcIdx.length}(+1), ${dstIdx.length}]`,
        );
      const kept = (site: string, c: number) => nodes[site]?.includes(c) ?? false;
      for (let i = 0; i < srcIdx.length; i++) {
        for (let j = 0; j < dstIdx.length; j++) {
          const v = m.data[i * cols + j];
          if (v === 0) continue;
          if (!kept(src as string, srcIdx[i]) || !kept(dst as string, dstIdx[j]))
            this.fail(
              `${what} has an edge ${src}:${srcIdx[i]} → ${dst}:${dstIdx[j]} between nodes outside the circuit`,
            );
          out.push({ src: `${src}:${srcIdx[i]}`, dst: `${dst}:${dstIdx[j]}`, delta: r9(v / PAIR) });
        }
      }
    });
    return out;
  }

  private snippets(raw: unknown, nodes: Record<string, number[]>): Record<string, ImportedQuantile[]> {
    const out: Record<string, ImportedQuantile[]> = {};
    if (raw === undefined) return out;
    for (const [site, perChannel] of this.dict(raw, "samples")) {
      if (typeof site !== "string") this.fail(`samples has a non-string key ${String(site)}`);
      for (const [key, byFraction] of this.dict(perChannel, `samples["${site}"]`)) {
        const channel = this.number(key, `samples["${site}"] key`);
        if (!(nodes[site]?.includes(channel) ?? false)) continue; // only circuit nodes are shown
        const what = `samples["${site}"][${channel}]`;
        const buckets: ImportedQuantile[] = [];
        for (const [f, pair] of this.dict(byFraction, what)) {
          const fraction = this.number(f, `${what} key`);
          const lists = this.list(pair, `${what}[${fraction}]`);
          if (lists.length !== 2) this.fail(`${what}[${fraction}] must be (bottom list, top list)`);
          const [bottom, top] = lists.map((l, side) =>
            this.list(l, `${what}[${fraction}][${side}]`)
              .slice(0, SNIPPETS_PER_BUCKET)
              .map((d, i) => this.snippet(d, `${what}[${fraction}][${side}][${i}]`)),
          );
          buckets.push({ fraction, bottom, top });
        }
        out[`${site}:${channel}`] = buckets.sort((a, b) => a.fraction - b.fraction);
      }
    }
    return out;
  }

  private snippet(raw: unknown, what: string): ImportedSnippet {
    const item = this.list(raw, what);
    if (item.length !== 3) this.fail(`${what} must be (tokens, activations, position)`);
    const tokens = this.intList(item[0], `${what} tokens`);
    const acts = this.numberList(item[1], `${what} activations`);
    const pos = this.number(item[2], `${what} position`);
    if (acts.length !== tokens.length || !Number.isInteger(pos) || pos < 0 || pos >= tokens.length)
      this.fail(
        `${what}: ${tokens.length} tokens, ${acts.length} activations and position ${pos} do not fit`,
      );
    const lo = Math.max(0, pos - SNIPPET_HALF_WINDOW);
    const hi = Math.min(tokens.length, pos + SNIPPET_HALF_WINDOW + 1);
    return { tokens: tokens.slice(lo, hi), acts: acts.slice(lo, hi).map(r9), focus: pos - lo };
  }

  private allLoss(raw: unknown): [number, number][] {
    if (raw === undefined) return [];
    return this.list(raw, "all_loss").map((entry, i) => {
      const pair = this.list(entry, `all_loss[${i}]`);
      if (pair.length !== 2) this.fail(`all_loss[${i}] must be (iteration, loss)`);
      return [
        this.number(pair[0], `all_loss[${i}][0]`),
        r9(this.number(pair[1], `all_loss[${i}][1]`) / PAIR),
      ];
    });
  }

  private taskPairs(raw: unknown): number {
    if (raw === undefined) return 0;
    const item = this.list(raw, "importances.task_samples");
    if (item.length < 1 || !isTensorRef(item[0])) return 0;
    return Math.floor((item[0].shape[0] ?? 0) / 2);
  }

  private task(path: string | undefined): CircuitFile["task"] {
    if (path === undefined) return { path: "", name: publicLayout(this.path).task ?? "unknown", hash: "" };
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      throw new CspError(
        `${path}: cannot read task file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
    return {
      path,
      name: basename(path).replace(/\.jsonl$/, ""),
      hash: createHash("sha256").update(bytes).digest("hex"),
    };
  }

  private pruneConfig(raw: unknown): Record<string, unknown> {
    if (raw === undefined) return {};
    const json = this.json(raw, "prune_config");
    if (typeof json !== "object" || json === null || Array.isArray(json))
      this.fail("prune_config must be a dict");
    return json as Record<string, unknown>;
  }

  // --- typed access to the unpickled values ---

  private required(map: Map<unknown, unknown>, key: string, where: string): unknown {
    if (!map.has(key)) this.fail(`${where} has no "${key}" (spec H.1 viz_data schema)`);
    return map.get(key);
  }

  private dict(v: unknown, what: string): Map<unknown, unknown> {
    if (!(v instanceof Map)) this.fail(`${what} must be a dict`);
    return v as Map<unknown, unknown>;
  }

  private list(v: unknown, what: string): readonly unknown[] {
    if (!Array.isArray(v)) this.fail(`${what} must be a list or tuple`);
    return v as readonly unknown[];
  }

  private tensor(v: unknown, what: string): { shape: number[]; data: ArrayLike<number> } {
    if (!isTensorRef(v)) this.fail(`${what} must be a tensor`);
    return this.archive.readTensor(v as Parameters<TorchArchive["readTensor"]>[0], what);
  }

  /** A Python number or a one-element tensor (the released files hold both). */
  private number(v: unknown, what: string): number {
    if (typeof v === "number" && Number.isFinite(v)) return v;
    if (typeof v === "boolean") return Number(v);
    if (isTensorRef(v)) {
      const t = this.tensor(v, what);
      if (t.data.length === 1 && Number.isFinite(t.data[0])) return t.data[0];
    }
    return this.fail(`${what} must be a finite number`);
  }

  private numberList(v: unknown, what: string): number[] {
    if (isTensorRef(v)) {
      const t = this.tensor(v, what);
      if (t.shape.length !== 1) this.fail(`${what} must be a 1-D tensor, got shape [${t.shape.join(", ")}]`);
      return Array.from(t.data);
    }
    return this.list(v, what).map((x, i) => this.number(x, `${what}[${i}]`));
  }

  private intList(v: unknown, what: string): number[] {
    const list = this.numberList(v, what);
    for (const x of list) if (!Number.isInteger(x)) this.fail(`${what} must hold integers, got ${x}`);
    return list;
  }

  /** Plain JSON of a pickled value (configs): dicts, lists, strings, numbers, tensors as numbers. */
  private json(v: unknown, what: string): unknown {
    if (v === null || typeof v === "string" || typeof v === "boolean") return v;
    if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
    if (typeof v === "bigint") return v.toString();
    if (Array.isArray(v)) return v.map((x, i) => this.json(x, `${what}[${i}]`));
    if (v instanceof Map)
      return Object.fromEntries([...v].map(([k, x]) => [String(k), this.json(x, `${what}["${String(k)}"]`)]));
    if (isTensorRef(v)) {
      const t = this.tensor(v, what);
      return t.shape.length === 0 ? t.data[0] : Array.from(t.data);
    }
    return this.fail(`${what} holds a value that is not plain data`);
  }
}

/** The parts of the public layout `viz/<model>/<task>/<sweep>/<k>/viz_data.pt` (spec B.1), if present. */
function publicLayout(path: string): {
  reference_model: string | null;
  task: string | null;
  sweep: string | null;
  k: string | null;
} {
  const parts = path.split(/[\\/]/).filter((p) => p.length > 0);
  if (parts.length >= 5 && parts.at(-1) === "viz_data.pt")
    return { reference_model: parts.at(-5)!, task: parts.at(-4)!, sweep: parts.at(-3)!, k: parts.at(-2)! };
  return { reference_model: null, task: null, sweep: null, k: null };
}
