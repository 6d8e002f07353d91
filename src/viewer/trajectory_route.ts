import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { CspError } from "../errors.js";
import { findTokenizerDir } from "../model/model_tokenizer.js";
import { TRAJECTORY_FORMAT, type TrajectoryFile } from "../prune/trajectory_format.js";
import type { TrajectorySnapshotView, TrajectoryView } from "./api_types.js";
import type { ViewerOptions } from "./workspace.js";

// trajectory.json as `csp trajectory` writes it: its types and format tag are the writer's own.
const FORMAT = TRAJECTORY_FORMAT;

/** Checks one field's type, naming the file and the field when it is wrong. */
function expect(
  file: string,
  field: string,
  value: unknown,
  type: "number" | "string" | "boolean",
  nullable = false,
) {
  if ((nullable && value === null) || typeof value === type) return;
  throw new CspError(
    `${file}: ${field}: expected a ${type}${nullable ? " or null" : ""}, got ${JSON.stringify(value)}`,
  );
}

/** Reads and checks trajectory.json: every field the view uses, and steps in ascending order. */
export function readTrajectoryFile(file: string): TrajectoryFile {
  if (!existsSync(file)) throw new CspError(`${file}: not found (csp trajectory writes trajectory.json)`);
  let t: TrajectoryFile;
  try {
    t = JSON.parse(readFileSync(file, "utf8")) as TrajectoryFile;
  } catch (e) {
    throw new CspError(`${file}: not valid JSON (${(e as Error).message.split("\n")[0]})`);
  }
  if (typeof t !== "object" || t === null || t.format !== FORMAT)
    throw new CspError(`${file}: format: expected "${FORMAT}", got ${JSON.stringify(t?.format)}`);
  expect(file, "model.path", t.model?.path, "string");
  expect(file, "task.name", t.task?.name, "string");
  expect(file, "task.path", t.task?.path, "string");
  expect(file, "target_loss", t.target_loss, "number");
  expect(file, "final_step", t.final_step, "number");
  if (!Array.isArray(t.snapshots) || t.snapshots.length === 0)
    throw new CspError(`${file}: snapshots: expected a non-empty list`);
  t.snapshots.forEach((s, i) => {
    const f = `snapshots[${i}]`;
    for (const k of ["step", "tokens", "task_loss", "nodes", "edges"] as const)
      expect(file, `${f}.${k}`, s?.[k], "number");
    expect(file, `${f}.jaccard_with_final`, s.jaccard_with_final, "number", true);
    expect(file, `${f}.val_loss`, s.val_loss, "number", true);
    expect(file, `${f}.reached`, s.reached, "boolean");
    expect(file, `${f}.circuit`, s.circuit, "string", true);
    if (!Array.isArray(s.node_set) || s.node_set.some((k) => typeof k !== "string"))
      throw new CspError(`${file}: ${f}.node_set: expected a list of "site:index" strings`);
    if (i > 0 && s.step <= t.snapshots[i - 1].step)
      throw new CspError(
        `${file}: ${f}.step: steps must ascend (${s.step} after ${t.snapshots[i - 1].step})`,
      );
  });
  return t;
}

/**
 * The first snapshot step at which each node was in the circuit. A node that leaves and comes back keeps
 * its first entry: the colour answers "was it there early?".
 */
export function entrySteps(
  snapshots: readonly { step: number; node_set: readonly string[] }[],
): Record<string, number> {
  const entry: Record<string, number> = {};
  for (const s of snapshots) for (const k of s.node_set) if (!(k in entry)) entry[k] = s.step;
  return entry;
}

/** GET /api/trajectory. */
export function trajectoryView(file: string): TrajectoryView {
  const t = readTrajectoryFile(file);
  const dir = dirname(file);
  const snapshots: TrajectorySnapshotView[] = t.snapshots.map((s) => ({
    step: s.step,
    tokens: s.tokens,
    valLoss: s.val_loss,
    taskLoss: s.task_loss,
    reached: s.reached,
    nodes: s.nodes,
    edges: s.edges,
    nodeSet: s.node_set,
    jaccardWithFinal: s.jaccard_with_final,
    circuit: s.circuit,
    circuitExists: s.circuit !== null && existsSync(resolve(dir, s.circuit)),
  }));
  return {
    file,
    modelName: t.model.name ?? t.model.path,
    taskName: t.task.name,
    targetLoss: t.target_loss,
    finalStep: t.final_step,
    snapshots,
    entryStep: entrySteps(t.snapshots),
  };
}

/**
 * A viewer of one snapshot's circuit: the circuit file names its snapshot's weights; the task and the
 * tokenizer are the trajectory's (snapshot directories hold weights only).
 */
export function snapshotViewerOptions(file: string, index: number): ViewerOptions {
  const t = readTrajectoryFile(file);
  const s = t.snapshots[index];
  if (!s) throw new CspError(`${file}: no snapshot ${index}`);
  if (s.circuit === null) throw new CspError(`${file}: snapshots[${index}] (step ${s.step}) was not pruned`);
  const dir = dirname(file);
  const circuit = resolve(dir, s.circuit);
  if (!existsSync(circuit)) throw new CspError(`${circuit}: not found (snapshot ${s.step}'s circuit file)`);
  let tokenizer: string | undefined;
  try {
    tokenizer = findTokenizerDir(resolve(dir, t.model.path));
  } catch {
    tokenizer = undefined; // the circuit's own model directory may hold one
  }
  return { circuits: [circuit], task: resolve(dir, t.task.path), tokenizer };
}
