import { readFileSync } from "node:fs";
import { findCircuitTask } from "../circuit/circuit_model.js";
import type { CircuitFile } from "../circuit/format.js";
import { CspError } from "../errors.js";
import { bridgesPath, readBridges } from "../model/bridges_file.js";
import { loadModel } from "../model/checkpoint.js";
import { weightsHash } from "../model/model_hash.js";
import type { Model } from "../model/model.js";
import { parseTaskJsonl } from "../tasks/load.js";
import { defaultSplit } from "../tasks/task.js";
import type { SteerDefaults, SteerInfo } from "./api_types.js";

/** What the session's steering info is made from (the workspace's options, model and circuits). */
export interface SteerInfoSource {
  options: { dense?: string; task?: string };
  model?: { model: Model; dir: string };
  circuits: readonly { entry: { id: number; file: string }; file?: CircuitFile }[];
}

/** Keyed by the workspace's options object: computed once per workspace. */
const infos = new WeakMap<object, SteerInfo>();

/**
 * session.steer (`csp view --dense DIR`; docs/bridges.md): undefined without --dense; otherwise the dense
 * model is read once to check the bridges beside the model, and each circuit's task gives the form's defaults.
 */
export function steerInfo(src: SteerInfoSource): SteerInfo | undefined {
  const dense = src.options.dense;
  if (dense === undefined) return undefined;
  let info = infos.get(src.options);
  if (!info) {
    info = loadSteerInfo(src, dense);
    infos.set(src.options, info);
  }
  return info;
}

function loadSteerInfo(src: SteerInfoSource, denseDir: string): SteerInfo {
  try {
    if (!src.model) throw new CspError("steering needs the bridged model: no model was loaded");
    const dense = loadModel(denseDir);
    readBridges(bridgesPath(src.model.dir), src.model.model, dense, weightsHash(dense));
  } catch (e) {
    if (!(e instanceof CspError)) throw e;
    return { dense: denseDir, error: e.message.split("\n")[0], defaults: {} };
  }
  const defaults: Record<number, SteerDefaults> = {};
  for (const c of src.circuits) {
    if (!c.file) continue;
    try {
      defaults[c.entry.id] = firstTestPair(findCircuitTask(c.file, c.entry.file, src.options.task));
    } catch (e) {
      if (!(e instanceof CspError)) throw e; // no task: the form starts empty
    }
  }
  return { dense: denseDir, defaults };
}

/** The first test pair of a task file (its first pair when none is in the test split), as text. */
function firstTestPair(taskPath: string): SteerDefaults {
  let text: string;
  try {
    text = readFileSync(taskPath, "utf8");
  } catch (e) {
    throw new CspError(`${taskPath}: cannot read (${(e as Error).message})`);
  }
  const lines = parseTaskJsonl(text, taskPath);
  if (lines.length === 0) throw new CspError(`${taskPath}: no pairs`);
  const splitOf = (l: (typeof lines)[number]) => l.value.split ?? defaultSplit(String(l.value.id ?? l.line));
  const pair = (lines.find((l) => splitOf(l) === "test") ?? lines[0]).value;
  return { prompt: pair.a, counterfactual: pair.b, candidates: [pair.a_next, pair.b_next] };
}
