import { countsAsCircuit, type StudyCell } from "./plan.js";
import { STUDY_PLOTS } from "./plots.js";
import type { StudyFile } from "./study_file.js";
import { mainCell, type EdgeSeries } from "./summary.js";

const f3 = (x: number | null) => (x === null ? "—" : Number.isFinite(x) ? x.toFixed(3) : String(x));
const f2 = (x: number | null) => (x === null ? "—" : x.toFixed(2));
const int = (x: number | null) => (x === null ? "—" : x.toLocaleString("en-US"));

function table(head: string[], rows: (string | number)[][]): string {
  if (rows.length === 0) return "_(none)_\n";
  const line = (r: (string | number)[]) => `| ${r.map((c) => String(c).replace(/\|/g, "\\|")).join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n") + "\n";
}

function duration(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.round(s % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** "nodes / edges" of a cell, or why there is none. */
function size(c: StudyCell | undefined): string {
  if (!c) return "—";
  if (!c.reached) return "not reached";
  const sized = `${int(c.nodes)} / ${int(c.edges)}`;
  return countsAsCircuit(c) ? sized : `(${sized}: full model misses the target)`;
}

function taskSets(sets: Record<string, string[]>, rule: string): string {
  const lists = Object.entries(sets);
  if (rule === "common") return `the tasks every model reaches (${lists[0]?.[1].join(", ") || "none"})`;
  return (
    "no task is reached by every model, so each model's own tasks: " +
    lists.map(([m, t]) => `${m}: ${t.join(", ") || "none"}`).join("; ")
  );
}

/** Per model, the tasks behind its line. */
export function seriesTasks(series: readonly EdgeSeries[]): Record<string, string[]> {
  return Object.fromEntries(series.map((s) => [s.model, s.tasks]));
}

/** The study's Markdown report. */
export function studyReport(s: StudyFile): string {
  const { spec, summary: sum } = s;
  const taskNames = spec.tasks.map((t) => t.name);
  const out: string[] = [];
  const push = (...lines: string[]) => out.push(...lines);
  push(
    "# Circuit-size study",
    "",
    `Command: \`${s.command}\`  `,
    `Started ${s.started}; this run took ${duration(s.seconds)} (all cells together: ${duration(s.cell_seconds)}) on ${s.machine.cpu}, ${s.machine.cores} cores.`,
    "",
    `Targets ${spec.target_losses.join(", ")} (main ${spec.main_target}), methods ${spec.methods.join(", ")}, ` +
      `controls ${spec.controls.join(", ") || "none"}, ${spec.ablation} ablation, ${spec.pairs} pairs per generated task, ` +
      `prune ${Object.entries(spec.prune)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}. Losses are mean per-sequence task losses on each task's test split.`,
    "",
    "## Models",
    "",
    table(
      ["model", "kind", "val loss", "nonzero / total params", "training", "dir"],
      s.models.map((m) => [
        m.name,
        `${m.kind}${m.kind_from === "config" ? "" : ` (from ${m.kind_from})`}`,
        f3(m.val_loss),
        `${int(m.nonzero_params)} / ${int(m.total_params)} (${((100 * m.nonzero_params) / m.total_params).toFixed(1)}%)`,
        m.train_seconds === null ? "—" : duration(m.train_seconds),
        `\`${m.dir}\``,
      ]),
    ),
    "Params: the matrices weight-sparse training sparsifies (attention and MLP weights, token embedding, unembedding).",
    "",
    "## Tasks",
    "",
    table(
      ["model", "task", "full-model loss", `learned (< ${spec.main_target})`, "note"],
      s.tasks.map((t) => [
        t.model,
        t.task,
        f3(t.loss_full),
        t.learned === null ? "—" : t.learned ? "yes" : "no",
        t.unavailable ?? "",
      ]),
    ),
    "## Summary: sparse vs dense at the main target",
    "",
    `Compared: **${sum.sparse_model ?? "—"}** (sparse) vs **${sum.dense_model ?? "—"}** (dense): ${sum.matching}. ` +
      `Method ${sum.method}, target ${sum.target_loss}.`,
    "",
    table(
      ["task", "sparse nodes", "sparse edges", "dense nodes", "dense edges", "edge ratio", "node ratio"],
      sum.per_task.map((t) => [
        t.task,
        int(t.sparse_nodes),
        int(t.sparse_edges),
        int(t.dense_nodes),
        int(t.dense_edges),
        f2(t.edge_ratio),
        f2(t.node_ratio),
      ]),
    ),
    `Tasks both reach: ${sum.tasks_compared.join(", ") || "none"}. Geometric mean of dense/sparse: ` +
      `**edges ${f2(sum.edge_ratio_geomean)}×**, nodes ${f2(sum.node_ratio_geomean)}×.`,
    "",
    sum.interpolation
      ? `Interpolated between the dense models ${sum.interpolation.below} and ${sum.interpolation.above} ` +
          `(log edges linear in val loss, at the sparse model's val loss; tasks ${sum.interpolation.tasks.join(", ") || "none"}): ` +
          `edge ratio ${f2(sum.edge_ratio_geomean_interpolated)}×.`
      : "No two dense models bracket the sparse model's val loss: no interpolated ratio.",
    "",
    "## Sweep over target losses",
    "",
    `Nodes / edges of each circuit (method ${sum.method}, no control).`,
    "",
    table(
      ["model", "task", ...spec.target_losses.map(String)],
      s.models.flatMap((m) =>
        taskNames
          .filter((t) => s.cells.some((c) => c.model === m.name && c.task === t))
          .map((t) => [
            m.name,
            t,
            ...spec.target_losses.map((x) => size(mainCell(s.cells, m.name, t, x, sum.method))),
          ]),
      ),
    ),
    `![edges vs target](${STUDY_PLOTS.edges_vs_target})`,
    "",
    `The lines are geometric means over ${taskSets(s.plots.edges_vs_target.tasks, s.plots.edges_vs_target.rule)} at every target.`,
    "",
    `![size vs pretraining loss](${STUDY_PLOTS.size_vs_pretrain_loss})`,
    "",
    `One point per model with a validation loss: geometric-mean edges at target ${spec.main_target} over ${taskSets(s.plots.size_vs_pretrain_loss.tasks, s.plots.size_vs_pretrain_loss.rule)}.`,
    "",
  );
  if (spec.methods.length > 1) {
    push(
      "## Learned masks vs attribution",
      "",
      table(
        ["model", "task", "target", ...spec.methods.map((x) => `${x} nodes / edges`)],
        s.models.flatMap((m) =>
          taskNames.flatMap((t) =>
            spec.target_losses
              .filter((x) => mainCell(s.cells, m.name, t, x, spec.methods[0]))
              .map((x) => [
                m.name,
                t,
                x,
                ...spec.methods.map((me) => size(mainCell(s.cells, m.name, t, x, me))),
              ]),
          ),
        ),
      ),
      `![learned vs attribution](${STUDY_PLOTS.learned_vs_attribution})`,
      "",
    );
  }
  push(
    "## Controls",
    "",
    'A control reaching the target means the method finds small "circuits" where there is nothing to find.',
    "",
    table(
      ["model", "task", "control", "result", "circuit loss"],
      sum.controls.map((c) => [
        c.model,
        c.task,
        c.control,
        c.reached ? "**reached (warning)**" : "not reached (good)",
        f3(c.loss_circuit),
      ]),
    ),
    "## Necessity (inverse pruning)",
    "",
    "The compared models' circuits that reached the main target: the task loss of the full model, of the circuit alone, and of the model with the circuit ablated (the rest kept).",
    "",
    table(
      ["model", "task", "full", "circuit only", "circuit ablated"],
      sum.necessity.map((n) => [
        n.model,
        n.task,
        f3(n.loss_full),
        f3(n.loss_circuit),
        f3(n.loss_circuit_ablated),
      ]),
    ),
    `![inverse pruning](${STUDY_PLOTS.inverse_pruning})`,
    "",
  );
  return out.join("\n");
}
