import { dirname, relative, resolve, sep } from "node:path";
import { writeFileAtomic } from "../io/atomic.js";
import type { Model } from "../model/model.js";
import type { AblationKind } from "../circuit/ablation.js";
import { configHash, weightsHash } from "../model/model_hash.js";
import { keptBySite, nodeLabel, siteOf, type NodeLayout } from "../circuit/nodes.js";
import type { PruneMethod, PruneOutcome, TrialRecord } from "./prune.js";
import type { Calibration } from "../circuit/task_loss.js";
import { circuitEdges, residualLinks } from "../circuit/edges.js";
import {
  CIRCUIT_VERSION,
  type CircuitControl,
  type CircuitFile,
  type SearchLogEntry,
} from "../circuit/format.js";

/** What the circuit file records about where a circuit came from. */
export interface CircuitProvenance {
  modelPath: string;
  modelName: string;
  /** The model that was pruned (for a random-init control: the random model). */
  model: Model;
  taskPath: string;
  taskName: string;
  taskHash: string;
  method: PruneMethod;
  control: CircuitControl;
  ablation: AblationKind;
  targetLoss: number;
  pruneConfig: Record<string, unknown>;
}

/** Rounds to 9 significant digits: keeps files short and stable to read (float32 resolution). */
function r9(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(9)) : x;
}

function trialEntry(t: TrialRecord, layout: NodeLayout): SearchLogEntry {
  return {
    trial: t.trial,
    hyper: Object.fromEntries(
      Object.entries(t.hyper).map(([k, v]) => [k, r9(v)]),
    ) as unknown as SearchLogEntry["hyper"],
    trained_kept: t.trainedKept,
    k: t.k,
    loss: r9(t.loss),
    reached: t.reached,
    promoted: t.promoted.map((n) => nodeLabel(layout, n)),
    bisection: t.bisection.map((s) => [s.k, r9(s.loss)]),
    curve: t.curve.map((s) => [s.step, r9(s.loss), s.kept, r9(s.lr)]),
  };
}

/** The on-disk form of a calibration (token ids as keys). */
export function calibrationRecord(c: Calibration): CircuitFile["calibration"] {
  const tokenShift: Record<string, number> = {};
  for (const [tok, v] of [...c.shift].sort((a, b) => a[0] - b[0])) tokenShift[String(tok)] = r9(v);
  return { scale: r9(c.scale), shift: 0, token_shift: tokenShift };
}

/** Assembles the circuit file of a pruning outcome (no timings, so equal seeds give equal files). */
export function buildCircuit(p: CircuitProvenance, layout: NodeLayout, o: PruneOutcome): CircuitFile {
  const nodes = Object.fromEntries(keptBySite(layout, Uint8Array.from(o.keep)));
  const edges = circuitEdges(p.model, layout, o.keep);
  let nodeEffects: Record<string, number[]> | null = null;
  if (o.nodeEffects) {
    nodeEffects = {};
    for (const [flat, loss] of [...o.nodeEffects].sort((a, b) => a[0] - b[0])) {
      const site = siteOf(layout, flat).name;
      (nodeEffects[site] ??= []).push(r9(loss));
    }
  }
  return {
    version: CIRCUIT_VERSION,
    model: {
      path: p.modelPath,
      name: p.modelName,
      config_hash: configHash(p.model.config),
      weights_hash: weightsHash(p.model),
    },
    task: { path: p.taskPath, name: p.taskName, hash: p.taskHash },
    method: p.method,
    control: p.control,
    ablation: p.ablation,
    target_loss: p.targetLoss,
    reached: o.reached,
    loss_full: r9(o.lossFull),
    loss_circuit: r9(o.lossCircuit),
    loss_calibrated: r9(o.lossCalibrated),
    loss_empty: r9(o.lossEmpty),
    eval: { split: "train", pairs: o.evalPairs },
    calibration: calibrationRecord(o.calibration),
    nodes,
    num_nodes: o.k,
    total_nodes: layout.total,
    num_edges: edges.length,
    edges,
    residual_links: residualLinks(layout, o.keep),
    node_effects: nodeEffects,
    layer_effects: Object.fromEntries([...o.layerEffects].map(([k, v]) => [k, r9(v)])),
    effects: { pairs: o.effectsPairs, base_loss: r9(o.effectsBaseLoss) },
    prune_config: p.pruneConfig,
    search_log: o.trials.map((t) => trialEntry(t, layout)),
  };
}

/** Writes a circuit file atomically, as given. */
export function writeCircuit(path: string, circuit: CircuitFile): void {
  writeFileAtomic(path, formatCircuitJson(circuit));
}

/** `target` relative to the directory `from`, with "/" separators. */
function relativeTo(from: string, target: string): string {
  return relative(from, resolve(target)).split(sep).join("/") || ".";
}

/**
 * The circuit with `model.path` and `task.path` (absolute, or relative to the working directory)
 * rewritten relative to the directory of the file it will be written to: the file then finds its model
 * and task from any working directory, and when the tree around it moves together
 * (circuit/circuit_model.ts looks there first, and checks the hashes). `csp prune` writes this form.
 */
export function withPathsRelativeTo(circuitPath: string, circuit: CircuitFile): CircuitFile {
  const dir = dirname(resolve(circuitPath));
  return {
    ...circuit,
    model: { ...circuit.model, path: relativeTo(dir, circuit.model.path) },
    // An empty task path (an imported circuit with no task file) stays empty: it names no file.
    task: { ...circuit.task, path: circuit.task.path === "" ? "" : relativeTo(dir, circuit.task.path) },
  };
}

/**
 * JSON with one top-level key per line, and one line per edge, link, trial and node site: readable and
 * diffable without the thousands of lines a fully indented file would take.
 */
export function formatCircuitJson(circuit: CircuitFile): string {
  const perLine = (items: unknown[]) =>
    items.length === 0 ? "[]" : `[\n${items.map((e) => `  ${JSON.stringify(e)}`).join(",\n")}\n ]`;
  const perKey = (obj: Record<string, unknown>) => {
    const keys = Object.keys(obj);
    if (keys.length === 0) return "{}";
    return `{\n${keys.map((k) => `  ${JSON.stringify(k)}: ${JSON.stringify(obj[k])}`).join(",\n")}\n }`;
  };
  const entries = Object.entries(circuit).map(([key, value]) => {
    let body: string;
    if (Array.isArray(value) && value.length > 0 && typeof value[0] === "object") body = perLine(value);
    else if ((key === "nodes" || key === "node_effects") && value !== null)
      body = perKey(value as Record<string, unknown>);
    else body = JSON.stringify(value);
    return ` ${JSON.stringify(key)}: ${body}`;
  });
  return `{\n${entries.join(",\n")}\n}\n`;
}
