import type { StudyFile } from "./study_file.js";
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { join, relative, resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { evaluateCircuitFile } from "../../circuit/evaluate.js";
import { CspError } from "../../errors.js";
import { writeFileAtomic } from "../../io/atomic.js";
import type { TrialRanking } from "../prune.js";
import { runPrune } from "../run.js";
import { inspectModel, type StudyModel } from "./models.js";
import {
  cellFiles,
  cellLabel,
  planCells,
  type Cell,
  type CellRecord,
  type CellSettings,
  type StudyCell,
} from "./plan.js";
import {
  edgesVsTargetSvg,
  inversePruningSvg,
  learnedVsAttributionSvg,
  sizeVsPretrainSvg,
  STUDY_PLOTS,
} from "./plots.js";
import { seriesTasks, studyReport } from "./report.js";
import { readStudySpec, specPruneSettings, type StudySpec } from "./spec.js";
import { chooseComparison, edgeSeries, summarize } from "./summary.js";
import { prepareTask, type PreparedTask } from "./tasks.js";

export interface StudyOptions {
  specPath: string;
  outDir: string;
  /** The command line recorded in study.json and the report. */
  command: string;
  /** No progress lines. */
  quiet?: boolean;
  /** Where progress lines go (default: stderr). */
  log?: (line: string) => void;
}

/** "12m30s"-style durations for ETAs. */
export function formatEta(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

function readRecord(path: string): CellRecord | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as CellRecord;
  } catch {
    return undefined; // unreadable: the cell runs again
  }
}

/** Prunes one cell, evaluates its circuit on the test split and writes both files (the record last). */
function runCell(
  spec: StudySpec,
  model: StudyModel,
  task: PreparedTask,
  cell: Cell,
  settings: CellSettings,
  paths: { circuit: string; record: string },
  rankings: RankingCache,
): CellRecord {
  const started = Date.now();
  const r = runPrune({
    rankings: rankings.of(cell),
    modelDir: model.dir,
    taskPath: task.path!,
    out: paths.circuit,
    targetLoss: cell.target_loss,
    ablation: spec.ablation,
    method: cell.method,
    control: cell.control ?? undefined,
    ...specPruneSettings(spec),
  });
  const ev = evaluateCircuitFile(r.setup, r.circuit, "test", 0);
  const record: CellRecord = {
    settings,
    result: {
      reached: r.circuit.reached,
      nodes: r.circuit.num_nodes,
      total_nodes: r.circuit.total_nodes,
      edges: r.circuit.num_edges,
      loss_full: ev.loss_full,
      loss_circuit: ev.loss_circuit,
      loss_calibrated: ev.loss_calibrated,
      loss_circuit_ablated: ev.loss_circuit_ablated,
      seconds: (Date.now() - started) / 1000,
    },
  };
  writeFileAtomic(paths.record, JSON.stringify(record, null, 2) + "\n");
  return record;
}

/**
 * Node rankings shared by the cells that differ only in their target loss (a mask training serves every
 * target; see PruneRunOptions.rankings). Held for the current model and task only.
 */
class RankingCache {
  private key = "";
  private byKind = new Map<string, Map<number, TrialRanking>>();
  of(cell: Cell): Map<number, TrialRanking> {
    const key = `${cell.model}\u0000${cell.task}`;
    if (key !== this.key) {
      this.key = key;
      this.byKind.clear();
    }
    const kind = `${cell.method}\u0000${cell.control ?? ""}`;
    let m = this.byKind.get(kind);
    if (!m) this.byKind.set(kind, (m = new Map()));
    return m;
  }
}

/**
 * `csp study`: inspects the models, generates the task files, runs every cell that has no up-to-date
 * record (so an interrupted study resumes), then writes study.json, report.md and the plots.
 */
export function runStudy(o: StudyOptions): StudyFile {
  const startedAt = Date.now();
  const spec = readStudySpec(o.specPath);
  const outDir = resolve(o.outDir);
  const log = o.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const say = (line: string) => {
    if (!o.quiet) log(line);
  };

  spec.tasks.forEach((t, i) => {
    if (t.file !== null && !existsSync(t.file))
      throw new CspError(`${o.specPath}: tasks[${i}].file: ${t.file} does not exist`);
  });
  const models = spec.models.map((m) => inspectModel(m, spec.ablation));
  chooseComparison(models, spec.compare, o.specPath); // a wrong "compare" fails before any pruning
  const tasks: PreparedTask[] = [];
  for (const model of models)
    for (const task of spec.tasks) {
      const t = prepareTask(outDir, model, task, {
        pairs: spec.pairs,
        seed: spec.task_seed,
        mainTarget: spec.main_target,
      });
      if (t.unavailable !== null) say(`study: ${model.name} ${task.name}: unavailable (${t.unavailable})`);
      tasks.push(t);
    }
  const taskOf = (model: string, task: string) => tasks.find((t) => t.model === model && t.task === task)!;
  const modelOf = (name: string) => models.find((m) => m.name === name)!;

  const cells = planCells(spec, (m, t) => taskOf(m, t).unavailable === null);
  const plan = cells.map((cell) => {
    const model = modelOf(cell.model);
    const task = taskOf(cell.model, cell.task);
    const files = cellFiles(cell);
    const paths = { circuit: join(outDir, files.circuit), record: join(outDir, files.record) };
    const settings: CellSettings = {
      model: cell.model,
      weights_hash: model.weights_hash,
      task: cell.task,
      task_hash: task.hash!,
      target_loss: cell.target_loss,
      method: cell.method,
      ablation: spec.ablation,
      control: cell.control,
      prune: spec.prune,
    };
    const old = readRecord(paths.record);
    const done =
      old && existsSync(paths.circuit) && isDeepStrictEqual(old.settings, settings) ? old : undefined;
    return { cell, model, task, files, paths, settings, done };
  });
  const toRun = plan.filter((p) => !p.done).length;
  say(
    `study: ${cells.length} cells, ${toRun} to run${toRun < cells.length ? ` (${cells.length - toRun} already done)` : ""}`,
  );

  const runStarted = Date.now();
  const rankings = new RankingCache();
  let ran = 0;
  const studyCells: StudyCell[] = plan.map((p) => {
    let record = p.done;
    if (!record) {
      record = runCell(spec, p.model, p.task, p.cell, p.settings, p.paths, rankings);
      ran++;
      const r = record.result;
      const elapsed = (Date.now() - runStarted) / 1000;
      const eta = ran < toRun ? ` (ETA ${formatEta((elapsed / ran) * (toRun - ran))})` : "";
      say(
        `[${ran}/${toRun}] ${cellLabel(p.cell)}: ${r.reached ? "reached" : "NOT reached"}, ${r.nodes} nodes, ` +
          `${r.edges} edges, ${r.seconds.toFixed(1)} s${eta}`,
      );
    }
    const { cell } = p;
    const r = record.result;
    return {
      model: cell.model,
      task: cell.task,
      target_loss: cell.target_loss,
      method: cell.method,
      ablation: spec.ablation,
      control: cell.control,
      reached: r.reached,
      nodes: r.nodes,
      edges: r.edges,
      loss_full: r.loss_full,
      loss_circuit: r.loss_circuit,
      loss_circuit_ablated: r.loss_circuit_ablated,
      seconds: r.seconds,
      circuit: p.files.circuit,
      total_nodes: r.total_nodes,
      loss_calibrated: r.loss_calibrated,
    };
  });

  const summary = summarize(spec, models, studyCells, o.specPath);
  const taskNames = spec.tasks.map((t) => t.name);
  const sweep = edgeSeries(models, studyCells, taskNames, spec.target_losses, summary.method);
  const atMain = edgeSeries(models, studyCells, taskNames, [spec.main_target], summary.method);
  // Paths in study.json are relative to its directory, as a circuit file's are to the circuit file:
  // the study directory can move with what it names (and names no one's home directory).
  const located = (p: string) => relative(outDir, p);
  const study: StudyFile = {
    spec: {
      ...spec,
      models: spec.models.map((m) => ({ ...m, dir: located(m.dir) })),
      tasks: spec.tasks.map((t) => ({ ...t, file: t.file === null ? null : located(t.file) })),
    },
    machine: { cpu: cpus()[0]?.model.trim() ?? "unknown", cores: availableParallelism() },
    command: o.command,
    started: new Date(startedAt).toISOString(),
    seconds: (Date.now() - startedAt) / 1000,
    cell_seconds: studyCells.reduce((s, c) => s + c.seconds, 0),
    models: models.map((m) => ({ ...m, dir: located(m.dir), tokenizer_dir: located(m.tokenizer_dir) })),
    tasks: tasks.map(({ path: _path, hash: _hash, ...t }) => t),
    cells: studyCells,
    summary,
    plots: {
      edges_vs_target: { rule: sweep.rule, tasks: seriesTasks(sweep.series) },
      size_vs_pretrain_loss: { rule: atMain.rule, tasks: seriesTasks(atMain.series) },
    },
  };
  const write = (name: string, text: string) => writeFileAtomic(join(outDir, name), text);
  write(STUDY_PLOTS.edges_vs_target, edgesVsTargetSvg(sweep.series, spec.target_losses));
  write(STUDY_PLOTS.size_vs_pretrain_loss, sizeVsPretrainSvg(atMain.series, spec.main_target));
  write(STUDY_PLOTS.learned_vs_attribution, learnedVsAttributionSvg(models, studyCells));
  write(
    STUDY_PLOTS.inverse_pruning,
    inversePruningSvg(summary.sparse_model, taskNames, studyCells, spec.main_target, summary.method),
  );
  write("report.md", studyReport(study));
  write("study.json", JSON.stringify(study, null, 2) + "\n");
  return study;
}
