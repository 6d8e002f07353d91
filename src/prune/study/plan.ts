import type { PruneSettingKey } from "../settings.js";
import type { PruneMethod } from "../prune.js";
import type { ControlKind } from "../../circuit/setup.js";
import type { StudySpec } from "./spec.js";

/** One prune run of the study. */
export interface Cell {
  model: string;
  task: string;
  target_loss: number;
  method: PruneMethod;
  control: ControlKind | null;
}

/**
 * Every cell, model by model and task by task: each method at each target loss, then each control
 * (method learned, main target; the model's own `controls` when it has them, else the study's). Tasks
 * `available` refuses for a model get no cells.
 */
export function planCells(spec: StudySpec, available: (model: string, task: string) => boolean): Cell[] {
  const cells: Cell[] = [];
  for (const { name: model, controls } of spec.models)
    for (const { name: task } of spec.tasks) {
      if (!available(model, task)) continue;
      for (const method of spec.methods)
        for (const target_loss of spec.target_losses)
          cells.push({ model, task, target_loss, method, control: null });
      for (const control of controls ?? spec.controls)
        cells.push({ model, task, target_loss: spec.main_target, method: "learned", control });
    }
  return cells;
}

/** The cell's circuit file and its result record, relative to the study directory. */
export function cellFiles(cell: Cell): { circuit: string; record: string } {
  const stem = `circuits/${cell.model}/${cell.task}/${cell.method}-${cell.target_loss}${cell.control ? `-${cell.control}` : ""}`;
  return { circuit: `${stem}.json`, record: `${stem}.cell.json` };
}

/** "model task method target [control]" for progress lines. */
export function cellLabel(cell: Cell): string {
  return [cell.model, cell.task, cell.method, cell.target_loss, cell.control ?? ""].join(" ").trim();
}

/**
 * Everything that fixes a cell's result. A cell whose record holds equal settings is not run again;
 * the model and task are identified by content (weights hash, task file hash), not by path.
 */
export interface CellSettings {
  model: string;
  weights_hash: string;
  task: string;
  task_hash: string;
  target_loss: number;
  method: PruneMethod;
  ablation: StudySpec["ablation"];
  control: ControlKind | null;
  prune: Partial<Record<PruneSettingKey, number>>;
}

/** A cell's results: test-split losses (csp evaluate's), sizes and time. */
export interface CellResult {
  reached: boolean;
  nodes: number;
  total_nodes: number;
  edges: number;
  loss_full: number;
  loss_circuit: number;
  loss_calibrated: number;
  loss_circuit_ablated: number;
  seconds: number;
}

/** The `.cell.json` file beside each circuit. */
export interface CellRecord {
  settings: CellSettings;
  result: CellResult;
}

/** A cell as listed in study.json (`circuit` relative to the study directory). */
export interface StudyCell extends Cell, CellResult {
  ablation: StudySpec["ablation"];
  circuit: string;
}

/**
 * Whether a cell's circuit counts in the comparisons: it reached the target, and the full model itself
 * reaches that target on the test split. A pruner can select nodes that do better than the full model on
 * a task the model has not learned (mean ablation removes distractors; spec G's critique); such a circuit
 * explains no behaviour of the model, so it is reported but never compared.
 */
export function countsAsCircuit(c: StudyCell | undefined): c is StudyCell {
  return c !== undefined && c.reached && c.loss_full <= c.target_loss;
}
