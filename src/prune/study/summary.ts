import { CspError } from "../../errors.js";
import type { PruneMethod } from "../prune.js";
import type { ControlKind } from "../../circuit/setup.js";
import type { StudyModel } from "./models.js";
import { countsAsCircuit, type StudyCell } from "./plan.js";
import type { ModelKind, StudySpec } from "./spec.js";

/** Geometric mean; 0 if any value is 0; null for no values. */
export function geomean(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  if (xs.some((x) => x === 0)) return 0;
  if (xs.length === 1) return xs[0];
  return Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
}

/** y at x on the line through (x0, ln y0) and (x1, ln y1): log-linear interpolation (y0, y1 > 0). */
export function interpolateLogLinear(
  x: number,
  [x0, y0]: [number, number],
  [x1, y1]: [number, number],
): number {
  if (x1 === x0) return y0;
  return Math.exp(Math.log(y0) + ((x - x0) / (x1 - x0)) * (Math.log(y1) - Math.log(y0)));
}

const loss = (v: number | null) => (v === null ? "unknown" : v.toFixed(3));

/** Lowest val_loss first, unknown last; equal ones keep the spec's order. */
function byValLoss(a: StudyModel, b: StudyModel): number {
  return (a.val_loss ?? Infinity) - (b.val_loss ?? Infinity);
}

export interface Comparison {
  sparse: StudyModel | null;
  dense: StudyModel | null;
  /** How the two were chosen, in words. */
  matching: string;
}

/**
 * The models the summary compares: the named ones, else the sparse model with the lowest validation
 * loss and the dense model whose validation loss is nearest to it (the paper compares at matched
 * pretraining loss). A named model of the wrong kind is a CspError naming `source`.
 */
export function chooseComparison(
  models: readonly StudyModel[],
  compare: StudySpec["compare"],
  source: string,
): Comparison {
  const named = (side: ModelKind) => {
    const name = compare[side];
    if (name === null) return undefined;
    const m = models.find((x) => x.name === name)!;
    if (m.kind !== side)
      throw new CspError(`${source}: compare.${side} names ${name}, which is a ${m.kind} model`);
    return m;
  };
  const sparseModels = models.filter((m) => m.kind === "sparse");
  const denseModels = models.filter((m) => m.kind === "dense");
  const sparse = named("sparse") ?? [...sparseModels].sort(byValLoss)[0] ?? null;
  const how: string[] = [];
  if (compare.sparse !== null)
    how.push(`sparse model named in the spec (val_loss ${loss(sparse!.val_loss)})`);
  else if (sparse && sparseModels.length > 1)
    how.push(`lowest sparse val_loss of ${sparseModels.length} sparse models: ${loss(sparse.val_loss)}`);
  let dense = named("dense") ?? null;
  if (dense) how.push(`dense model named in the spec (val_loss ${loss(dense.val_loss)})`);
  else if (!sparse) how.push("no sparse model in the study");
  else if (denseModels.length === 0) how.push("no dense model in the study");
  else {
    const known = denseModels.filter((m) => m.val_loss !== null);
    if (sparse.val_loss === null || known.length === 0) {
      dense = denseModels[0];
      how.push("first dense model (validation losses unknown)");
    } else {
      const vs = sparse.val_loss;
      dense = known.reduce((best, m) =>
        Math.abs(m.val_loss! - vs) < Math.abs(best.val_loss! - vs) ? m : best,
      );
      how.push(`nearest dense val_loss: ${loss(dense.val_loss)} vs sparse ${loss(vs)}`);
    }
  }
  return { sparse, dense, matching: how.join("; ") };
}

/**
 * The dense models nearest below and above the sparse model's validation loss (below ≤ sparse ≤
 * above, below < above), or null when none bracket it.
 */
export function bracketingDense(
  models: readonly StudyModel[],
  sparse: StudyModel,
): { below: StudyModel; above: StudyModel } | null {
  const vs = sparse.val_loss;
  if (vs === null) return null;
  const dense = models.filter((m) => m.kind === "dense" && m.val_loss !== null);
  const below = dense
    .filter((m) => m.val_loss! <= vs)
    .reduce<StudyModel | null>((b, m) => (b === null || m.val_loss! > b.val_loss! ? m : b), null);
  if (below === null) return null;
  const above = dense
    .filter((m) => m.val_loss! >= vs && m.val_loss! > below.val_loss!)
    .reduce<StudyModel | null>((b, m) => (b === null || m.val_loss! < b.val_loss! ? m : b), null);
  return above === null ? null : { below, above };
}

/** The cell of a model and task at a target with a method and no control. */
export function mainCell(
  cells: readonly StudyCell[],
  model: string,
  task: string,
  target: number,
  method: PruneMethod,
): StudyCell | undefined {
  return cells.find(
    (c) =>
      c.model === model &&
      c.task === task &&
      c.target_loss === target &&
      c.method === method &&
      c.control === null,
  );
}

export interface TaskComparison {
  task: string;
  /** Circuit sizes at the main target; null where that model did not reach it. */
  sparse_edges: number | null;
  dense_edges: number | null;
  sparse_nodes: number | null;
  dense_nodes: number | null;
  /** dense / sparse; null unless both reached with nonzero counts. */
  edge_ratio: number | null;
  node_ratio: number | null;
  /** The dense edge count interpolated to the sparse model's val_loss (see summary.interpolation). */
  dense_edges_interpolated: number | null;
}

export interface StudySummary {
  sparse_model: string | null;
  dense_model: string | null;
  matching: string;
  /** The main target, and the method whose circuits are compared ("learned" when the study runs it). */
  target_loss: number;
  method: PruneMethod;
  /** Tasks where both compared models reach the main target. */
  tasks_compared: string[];
  /** Geometric means over tasks_compared of dense/sparse (tasks with a zero count left out). */
  edge_ratio_geomean: number | null;
  node_ratio_geomean: number | null;
  /** The dense models bracketing the sparse val_loss and the tasks both reach; null when none bracket. */
  interpolation: { below: string; above: string; tasks: string[] } | null;
  edge_ratio_geomean_interpolated: number | null;
  per_task: TaskComparison[];
  /** Every control cell: it should not reach the target. */
  controls: { model: string; task: string; control: ControlKind; reached: boolean; loss_circuit: number }[];
  /**
   * Necessity of the compared models' circuits at the main target (those that reached it): the loss with
   * the circuit ablated vs the full model's.
   */
  necessity: {
    model: string;
    task: string;
    loss_full: number;
    loss_circuit: number;
    loss_circuit_ablated: number;
  }[];
}

const ratio = (dense: number | null, sparse: number | null) =>
  dense !== null && sparse !== null && dense > 0 && sparse > 0 ? dense / sparse : null;

/** The study's summary: the sparse vs dense comparison at the main target, controls and necessity. */
export function summarize(
  spec: StudySpec,
  models: readonly StudyModel[],
  cells: readonly StudyCell[],
  source: string,
): StudySummary {
  const { sparse, dense, matching } = chooseComparison(models, spec.compare, source);
  const target = spec.main_target;
  const method: PruneMethod = spec.methods.includes("learned") ? "learned" : spec.methods[0];
  const reachedCell = (m: StudyModel | null, task: string) => {
    const c = m ? mainCell(cells, m.name, task, target, method) : undefined;
    return countsAsCircuit(c) ? c : undefined;
  };
  const bracket = sparse ? bracketingDense(models, sparse) : null;
  const interpolatedTasks: string[] = [];
  const perTask: TaskComparison[] = [];
  for (const { name: task } of spec.tasks) {
    const s = reachedCell(sparse, task);
    const d = reachedCell(dense, task);
    const anyCell = [sparse, dense].some((m) => m && mainCell(cells, m.name, task, target, method));
    if (!anyCell) continue;
    let interpolated: number | null = null;
    const [lo, hi] = bracket ? [reachedCell(bracket.below, task), reachedCell(bracket.above, task)] : [];
    if (bracket && s && lo && hi && lo.edges > 0 && hi.edges > 0) {
      interpolated = interpolateLogLinear(
        sparse!.val_loss!,
        [bracket.below.val_loss!, lo.edges],
        [bracket.above.val_loss!, hi.edges],
      );
      interpolatedTasks.push(task);
    }
    perTask.push({
      task,
      sparse_edges: s?.edges ?? null,
      dense_edges: d?.edges ?? null,
      sparse_nodes: s?.nodes ?? null,
      dense_nodes: d?.nodes ?? null,
      edge_ratio: ratio(d?.edges ?? null, s?.edges ?? null),
      node_ratio: ratio(d?.nodes ?? null, s?.nodes ?? null),
      dense_edges_interpolated: interpolated,
    });
  }
  const ratios = (pick: (t: TaskComparison) => number | null) =>
    perTask.map(pick).filter((r): r is number => r !== null);
  const compared = perTask.filter((t) => t.sparse_edges !== null && t.dense_edges !== null);
  const necessity: StudySummary["necessity"] = [];
  for (const m of [sparse, dense])
    for (const { name: task } of spec.tasks) {
      const c = reachedCell(m, task);
      if (c)
        necessity.push({
          model: c.model,
          task,
          loss_full: c.loss_full,
          loss_circuit: c.loss_circuit,
          loss_circuit_ablated: c.loss_circuit_ablated,
        });
    }
  return {
    sparse_model: sparse?.name ?? null,
    dense_model: dense?.name ?? null,
    matching,
    target_loss: target,
    method,
    tasks_compared: compared.map((t) => t.task),
    edge_ratio_geomean: geomean(ratios((t) => t.edge_ratio)),
    node_ratio_geomean: geomean(ratios((t) => t.node_ratio)),
    interpolation: bracket
      ? { below: bracket.below.name, above: bracket.above.name, tasks: interpolatedTasks }
      : null,
    edge_ratio_geomean_interpolated: geomean(
      ratios((t) => ratio(t.dense_edges_interpolated, t.sparse_edges)),
    ),
    per_task: perTask,
    controls: cells
      .filter((c) => c.control !== null)
      .map((c) => ({
        model: c.model,
        task: c.task,
        control: c.control!,
        reached: c.reached,
        loss_circuit: c.loss_circuit,
      })),
    necessity,
  };
}

/** Geometric-mean edges per model over a set of tasks, at each target (one line of a plot). */
export interface EdgeSeries {
  model: string;
  kind: ModelKind;
  val_loss: number | null;
  tasks: string[];
  /** [target loss, geometric-mean edges] for targets in ascending order. */
  points: [number, number][];
}

/**
 * Geometric-mean circuit edges per model and target, over the tasks every model reaches at every one of
 * `targets` (rule "common"), or, when there is no such task, over the tasks each model reaches at every
 * target ("per-model": lines then average different tasks).
 */
export function edgeSeries(
  models: readonly StudyModel[],
  cells: readonly StudyCell[],
  tasks: readonly string[],
  targets: readonly number[],
  method: PruneMethod,
): { rule: "common" | "per-model"; series: EdgeSeries[] } {
  const sorted = [...targets].sort((a, b) => a - b);
  const reachesAll = (model: string, task: string) =>
    sorted.every((t) => countsAsCircuit(mainCell(cells, model, task, t, method)));
  const common = tasks.filter((task) => models.every((m) => reachesAll(m.name, task)));
  const rule = common.length > 0 ? "common" : "per-model";
  const series = models.map((m): EdgeSeries => {
    const own = rule === "common" ? common : tasks.filter((task) => reachesAll(m.name, task));
    const points = sorted
      .map((t): [number, number | null] => [
        t,
        geomean(own.map((task) => mainCell(cells, m.name, task, t, method)!.edges)),
      ])
      .filter((p): p is [number, number] => p[1] !== null);
    return { model: m.name, kind: m.kind, val_loss: m.val_loss, tasks: own, points };
  });
  return { rule, series };
}
