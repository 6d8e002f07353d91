import { readFileSync } from "node:fs";
import { CspError } from "../errors.js";
import type { Model } from "../model/model.js";
import { configHash } from "../model/model_hash.js";
import type { NodeLayout } from "./nodes.js";
import { ABLATION_KINDS } from "./ablation.js";
import { CIRCUIT_VERSION, MAX_NOTE_LABEL, MAX_NOTE_TEXT, type CircuitFile } from "./format.js";

type Fail = (problem: string) => never;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function num(v: unknown, what: string, fail: Fail, opts: { nullable?: boolean } = {}): void {
  if (opts.nullable && v === null) return;
  if (typeof v !== "number" || !Number.isFinite(v))
    fail(`${what} must be a finite number, got ${JSON.stringify(v)}`);
}

function str(v: unknown, what: string, fail: Fail): void {
  if (typeof v !== "string") fail(`${what} must be a string, got ${JSON.stringify(v)}`);
}

/** Reads and checks the structure of a circuit file; with a model, also that it fits that model. */
export function readCircuit(path: string, against?: { model: Model; layout: NodeLayout }): CircuitFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new CspError(
      `${path}: cannot read circuit file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CspError(`${path}: not valid JSON (${(e as Error).message.split("\n")[0]})`);
  }
  const circuit = parseCircuit(raw, path);
  if (against) checkCircuitFits(circuit, against.model, against.layout, path);
  return circuit;
}

/** The optional `notes` field: {"site:index": {label?, note?}} with strings of bounded length. */
function checkNotes(notes: unknown, fail: Fail): void {
  if (!isObject(notes)) fail(`notes must be an object {"site:index": {label, note}}`);
  for (const [key, v] of Object.entries(notes as Record<string, unknown>)) {
    if (!/^[^:]+:(0|[1-9]\d*)$/.test(key)) fail(`notes key "${key}" is not a node ("site:index")`);
    if (!isObject(v)) fail(`notes["${key}"] must be {label, note}`);
    for (const [field, max] of [
      ["label", MAX_NOTE_LABEL],
      ["note", MAX_NOTE_TEXT],
    ] as const) {
      const text = (v as Record<string, unknown>)[field];
      if (text === undefined) continue;
      if (typeof text !== "string" || text.length > max)
        fail(`notes["${key}"].${field} must be a string of at most ${max} characters`);
    }
  }
}

/** Structural validation of a parsed circuit file (no model needed). */
export function parseCircuit(raw: unknown, source: string): CircuitFile {
  const fail: Fail = (problem) => {
    throw new CspError(`${source}: ${problem}`);
  };
  if (!isObject(raw)) fail("a circuit file is a JSON object");
  const c = raw as Record<string, unknown>;
  if (c.version !== CIRCUIT_VERSION)
    fail(
      `unsupported circuit version ${JSON.stringify(c.version)} (this csp reads version ${CIRCUIT_VERSION})`,
    );
  for (const key of ["model", "task", "calibration", "nodes", "layer_effects", "effects", "eval"])
    if (!isObject(c[key])) fail(`"${key}" must be an object`);
  const model = c.model as Record<string, unknown>;
  for (const key of ["path", "name", "config_hash", "weights_hash"]) str(model[key], `model.${key}`, fail);
  const task = c.task as Record<string, unknown>;
  for (const key of ["path", "name", "hash"]) str(task[key], `task.${key}`, fail);
  if (c.method !== "learned" && c.method !== "attribution" && c.method !== "imported-viz")
    fail(`method must be "learned", "attribution" or "imported-viz", got ${JSON.stringify(c.method)}`);
  if (!(ABLATION_KINDS as readonly unknown[]).includes(c.ablation))
    fail(`ablation must be one of ${ABLATION_KINDS.join(", ")}, got ${JSON.stringify(c.ablation)}`);
  if (c.control !== null) {
    const ctl = c.control as Record<string, unknown>;
    if (
      !isObject(ctl) ||
      (ctl.kind !== "random-init" && ctl.kind !== "shuffled-labels") ||
      !Number.isSafeInteger(ctl.seed)
    )
      fail(`control must be null or {"kind": "random-init"|"shuffled-labels", "seed": integer}`);
  }
  for (const key of ["target_loss", "loss_full", "loss_circuit", "loss_calibrated", "loss_empty"])
    num(c[key], key, fail);
  if (typeof c.reached !== "boolean") fail(`reached must be true or false`);
  const cal = c.calibration as Record<string, unknown>;
  num(cal.scale, "calibration.scale", fail);
  num(cal.shift, "calibration.shift", fail);
  if (!isObject(cal.token_shift)) fail(`calibration.token_shift must be an object {token id: shift}`);
  for (const [tok, v] of Object.entries(cal.token_shift as Record<string, unknown>)) {
    if (!/^(0|[1-9]\d*)$/.test(tok)) fail(`calibration.token_shift key "${tok}" is not a token id`);
    num(v, `calibration.token_shift["${tok}"]`, fail);
  }
  let count = 0;
  for (const [site, list] of Object.entries(c.nodes as Record<string, unknown>)) {
    if (!Array.isArray(list)) fail(`nodes["${site}"] must be an array of channel indices`);
    const arr = list as unknown[];
    arr.forEach((v, i) => {
      if (!Number.isInteger(v) || (v as number) < 0)
        fail(`nodes["${site}"][${i}] = ${JSON.stringify(v)} is not a channel index`);
      if (i > 0 && (v as number) <= (arr[i - 1] as number))
        fail(
          `nodes["${site}"] must be strictly increasing (index ${i}: ${String(v)} after ${String(arr[i - 1])})`,
        );
    });
    count += arr.length;
  }
  if (!Number.isInteger(c.total_nodes) || (c.total_nodes as number) <= 0)
    fail(`total_nodes must be a positive integer`);
  if (c.num_nodes !== count) fail(`num_nodes is ${JSON.stringify(c.num_nodes)} but "nodes" lists ${count}`);
  if (!Array.isArray(c.edges)) fail(`edges must be an array`);
  const kept = new Set(
    Object.entries(c.nodes as Record<string, number[]>).flatMap(([s, l]) => l.map((i) => `${s}:${i}`)),
  );
  (c.edges as unknown[]).forEach((e, i) => {
    if (!isObject(e)) fail(`edges[${i}] must be {src, dst, weight}`);
    const edge = e as Record<string, unknown>;
    for (const end of ["src", "dst"] as const) {
      if (typeof edge[end] !== "string" || !kept.has(edge[end] as string))
        fail(`edges[${i}].${end} = ${JSON.stringify(edge[end])} is not a circuit node ("site:index")`);
    }
    num(edge.weight, `edges[${i}].weight`, fail);
  });
  if (c.num_edges !== (c.edges as unknown[]).length)
    fail(`num_edges is ${JSON.stringify(c.num_edges)} but "edges" has ${(c.edges as unknown[]).length}`);
  if (!Array.isArray(c.residual_links)) fail(`residual_links must be an array`);
  if (c.node_effects !== null) {
    if (!isObject(c.node_effects)) fail(`node_effects must be null or an object`);
    for (const [site, list] of Object.entries(c.node_effects as Record<string, unknown>)) {
      const nodes = (c.nodes as Record<string, number[]>)[site];
      if (!nodes) fail(`node_effects["${site}"] has no matching entry in "nodes"`);
      if (!Array.isArray(list) || list.length !== nodes.length)
        fail(`node_effects["${site}"] must list one loss per node of nodes["${site}"] (${nodes.length})`);
      (list as unknown[]).forEach((v, i) => num(v, `node_effects["${site}"][${i}]`, fail));
    }
  }
  for (const [key, v] of Object.entries(c.layer_effects as Record<string, unknown>)) {
    if (!/^\d+\.(attn|mlp)$/.test(key))
      fail(`layer_effects key "${key}" is not "{layer}.attn" or "{layer}.mlp"`);
    num(v, `layer_effects["${key}"]`, fail);
  }
  if (!Array.isArray(c.search_log)) fail(`search_log must be an array`);
  if (!isObject(c.prune_config)) fail(`prune_config must be an object`);
  if (c.notes !== undefined) checkNotes(c.notes, fail);
  return c as unknown as CircuitFile;
}

/**
 * Checks a structurally valid circuit against a model: same config, node sites that exist, channel
 * indices inside each site, the model's total node count, and calibration tokens inside the vocabulary.
 */
export function checkCircuitFits(
  circuit: CircuitFile,
  model: Model,
  layout: NodeLayout,
  source: string,
): void {
  const fail: Fail = (problem) => {
    throw new CspError(`${source}: ${problem}`);
  };
  if (circuit.total_nodes !== layout.total)
    fail(
      `total_nodes is ${circuit.total_nodes} but the model has ${layout.total} nodes (circuit of another model?)`,
    );
  for (const [site, list] of Object.entries(circuit.nodes)) {
    const s = layout.byName.get(site);
    if (!s) fail(`"${site}" is not a node site of this model (e.g. "0.attn.q", "final_resid")`);
    for (const i of list) if (i >= s.width) fail(`nodes["${site}"] has index ${i}, outside [0, ${s.width})`);
  }
  for (const tok of Object.keys(circuit.calibration.token_shift))
    if (Number(tok) >= model.dims.vocab)
      fail(`calibration.token_shift token ${tok} is outside the vocabulary [0, ${model.dims.vocab})`);
  if (circuit.model.config_hash !== configHash(model.config))
    fail(`was found on a model with another config (config hash ${circuit.model.config_hash.slice(0, 12)}…)`);
}

/** The circuit's nodes as a 0/1 vector over the flat node numbering (1 = kept). */
export function circuitMask(circuit: CircuitFile, layout: NodeLayout): Float32Array {
  const keep = new Float32Array(layout.total);
  for (const [site, list] of Object.entries(circuit.nodes)) {
    const s = layout.byName.get(site)!;
    for (const i of list) keep[s.offset + i] = 1;
  }
  return keep;
}
