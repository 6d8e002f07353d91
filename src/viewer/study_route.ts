import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { CspError } from "../errors.js";
import { countsAsCircuit, type StudyCell } from "../prune/study/plan.js";
import type { StudyFile } from "../prune/study/study_file.js";
import type { ViewerOptions } from "./workspace.js";
import type { StudyCellView, StudyView } from "./api_types.js";

/** The plots `csp study` writes (docs/study.md); only these names are ever read. */
const STUDY_PLOTS = [
  "edges_vs_target.svg",
  "size_vs_pretrain_loss.svg",
  "learned_vs_attribution.svg",
  "inverse_pruning.svg",
];

/** study.json of a `csp study` output directory, checked enough to be shown. */
export function readStudyFile(dir: string): StudyFile {
  const file = join(dir, "study.json");
  if (!existsSync(file)) throw new CspError(`${file}: not found (a csp study output directory holds it)`);
  let study: StudyFile;
  try {
    study = JSON.parse(readFileSync(file, "utf8")) as StudyFile;
  } catch (e) {
    throw new CspError(`${file}: not valid JSON (${(e as Error).message.split("\n")[0]})`);
  }
  if (
    typeof study !== "object" ||
    study === null ||
    !Array.isArray(study.cells) ||
    !Array.isArray(study.models)
  )
    throw new CspError(`${file}: not a csp study result (no "cells" and "models" lists)`);
  study.cells.forEach((c, i) => {
    if (typeof c?.model !== "string" || typeof c.task !== "string" || typeof c.circuit !== "string")
      throw new CspError(`${file}: cells[${i}]: expected model, task and circuit names`);
  });
  return study;
}

/** A path inside the study directory (study.json's paths are relative to it); refuses to leave it. */
function inside(dir: string, path: string, what: string): string {
  const full = resolve(dir, path);
  const rel = relative(resolve(dir), full);
  if (rel.startsWith("..") || isAbsolute(rel)) throw new CspError(`${what}: ${path} is outside ${dir}`);
  return full;
}

/** The cell's circuit file when it is inside the study directory and on disk. */
function cellCircuit(dir: string, c: StudyCell): string | undefined {
  try {
    const path = inside(dir, c.circuit, "");
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

const cellView = (dir: string, c: StudyCell, index: number): StudyCellView => ({
  index,
  model: c.model,
  task: c.task,
  targetLoss: c.target_loss,
  method: c.method,
  control: c.control,
  reached: c.reached,
  counts: countsAsCircuit(c),
  nodes: c.nodes,
  edges: c.edges,
  lossFull: c.loss_full,
  lossCircuit: c.loss_circuit,
  lossCalibrated: c.loss_calibrated,
  lossCircuitAblated: c.loss_circuit_ablated,
  seconds: c.seconds,
  circuit: c.circuit,
  circuitExists: cellCircuit(dir, c) !== undefined,
});

/** GET /api/study: the study's models, cells, summary and plots (read afresh: a running study grows). */
export function studyView(dir: string): StudyView {
  const study = readStudyFile(dir);
  return {
    dir,
    command: study.command ?? "",
    started: study.started ?? "",
    mainTarget: study.spec?.main_target ?? NaN,
    models: study.models.map((m) => ({
      name: m.name,
      kind: m.kind,
      valLoss: m.val_loss,
      nonzero: m.nonzero_params,
      total: m.total_params,
    })),
    cells: study.cells.map((c, i) => cellView(dir, c, i)),
    summary: (study.summary ?? {}) as unknown as Record<string, unknown>,
    plots: STUDY_PLOTS.filter((name) => existsSync(join(dir, name))).map((name) => ({
      name,
      svg: readFileSync(join(dir, name), "utf8"),
    })),
  };
}

/**
 * What a viewer of one cell's circuit needs: the circuit file, and the model, tokenizer and task the
 * study used for it (study.json records them; the circuit file's own paths name where the study ran).
 */
export function studyCellViewerOptions(dir: string, index: number): ViewerOptions {
  const study = readStudyFile(dir);
  const cell = study.cells[index];
  const where = `${join(dir, "study.json")}: cells[${index}]`;
  if (!cell) throw new CspError(`${join(dir, "study.json")}: no cell ${index}`);
  const circuit = inside(dir, cell.circuit, where);
  if (!existsSync(circuit)) throw new CspError(`${circuit}: not found (the cell's circuit file)`);
  const model = study.models.find((m) => m.name === cell.model);
  const task = study.tasks?.find((t) => t.model === cell.model && t.task === cell.task);
  return {
    circuits: [circuit],
    // Relative to the study directory; absolute in study files written before 2026-12-03 (resolve keeps those).
    model: model ? resolve(dir, model.dir) : undefined,
    tokenizer: model ? resolve(dir, model.tokenizer_dir) : undefined,
    task: task?.file ? resolve(dir, task.file) : undefined,
  };
}
