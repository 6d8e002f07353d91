import { lineChartSvg, type Series } from "../../train/plot_svg.js";
import type { PruneMethod } from "../prune.js";
import type { StudyModel } from "./models.js";
import { countsAsCircuit, type StudyCell } from "./plan.js";
import { mainCell, type EdgeSeries } from "./summary.js";

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
const color = (i: number) => PALETTE[i % PALETTE.length];

/** The plot files a study writes, with what each shows. */
export const STUDY_PLOTS = {
  edges_vs_target: "edges_vs_target.svg",
  size_vs_pretrain_loss: "size_vs_pretrain_loss.svg",
  learned_vs_attribution: "learned_vs_attribution.svg",
  inverse_pruning: "inverse_pruning.svg",
} as const;

/** Fig. 2: geometric-mean circuit edges against the target loss, one line per model (dense dashed). */
export function edgesVsTargetSvg(series: readonly EdgeSeries[], targets: readonly number[]): string {
  return lineChartSvg(
    series.map((s, i): Series => ({
      label: `${s.model} (${s.kind})`,
      color: color(i),
      points: s.points,
      dashed: s.kind === "dense",
      markers: true,
    })),
    {
      title: "Circuit size vs target loss",
      xLabel: "target task loss (log scale)",
      yLabel: "circuit edges, geometric mean over tasks (log2)",
      logX: true,
      logY: true,
      logBase: 2,
      xTicks: targets.map((t) => ({ value: t, label: String(t) })),
    },
  );
}

/** Fig. 3: geometric-mean edges at the main target against each model's pretraining (validation) loss. */
export function sizeVsPretrainSvg(series: readonly EdgeSeries[], target: number): string {
  const kinds = ["sparse", "dense"] as const;
  return lineChartSvg(
    kinds.map((kind, i): Series => {
      const rows = series.filter((s) => s.kind === kind && s.val_loss !== null && s.points.length > 0);
      return {
        label: `${kind} models`,
        color: color(i),
        points: rows.map((s) => [s.val_loss!, s.points[0][1]]),
        pointLabels: rows.map((s) => s.model),
        line: false,
        markers: true,
      };
    }),
    {
      title: `Circuit size at target ${target} vs pretraining loss`,
      xLabel: "validation loss (nats/token)",
      yLabel: "circuit edges, geometric mean over tasks (log2)",
      logY: true,
      logBase: 2,
    },
  );
}

/** Fig. 31: edges of learned-mask circuits against attribution circuits, per task and target (y = x line). */
export function learnedVsAttributionSvg(models: readonly StudyModel[], cells: readonly StudyCell[]): string {
  const pairs = (model: string): [number, number][] =>
    cells
      .filter((c) => c.model === model && c.method === "learned" && c.control === null && countsAsCircuit(c))
      .map((c) => [c, mainCell(cells, model, c.task, c.target_loss, "attribution")] as const)
      .filter(([c, a]) => countsAsCircuit(a) && c.edges > 0 && a.edges > 0)
      .map(([c, a]) => [c.edges, a!.edges]);
  const series: Series[] = models.map((m, i) => ({
    label: m.name,
    color: color(i),
    points: pairs(m.name),
    line: false,
    markers: true,
  }));
  const all = series.flatMap((s) => s.points.flat());
  if (all.length > 0) {
    const [lo, hi] = [Math.min(...all), Math.max(...all)];
    series.push({
      label: "y = x",
      color: "#999",
      points: [
        [lo, lo],
        [hi, hi],
      ],
      dashed: true,
    });
  }
  return lineChartSvg(series, {
    title: "Learned masks vs attribution (each point: a task at a target)",
    xLabel: "edges, learned masks (log2)",
    yLabel: "edges, attribution (log2)",
    logX: true,
    logY: true,
    logBase: 2,
  });
}

/**
 * Fig. 32: per task whose circuit reached the target, the full model's loss, the circuit alone, and the
 * model with the circuit ablated.
 */
export function inversePruningSvg(
  model: string | null,
  tasks: readonly string[],
  cells: readonly StudyCell[],
  target: number,
  method: PruneMethod,
): string {
  const rows = tasks
    .map((task) => (model ? mainCell(cells, model, task, target, method) : undefined))
    .filter(countsAsCircuit)
    .map((c, i) => ({ task: c.task, x: i + 1, c }));
  // The three values of a task side by side, so that equal ones do not hide each other.
  const dx = 0.12;
  const scatter = (label: string, i: number, shift: number, pick: (c: StudyCell) => number): Series => ({
    label,
    color: color(i),
    points: rows.map((r) => [r.x + shift * dx, pick(r.c)]),
    line: false,
    markers: true,
  });
  const span: [number, number][] =
    rows.length > 0
      ? [
          [1 - dx, target],
          [rows.length + dx, target],
        ]
      : [];
  return lineChartSvg(
    [
      scatter("full model", 0, -1, (c) => c.loss_full),
      scatter("circuit only", 2, 0, (c) => c.loss_circuit),
      scatter("circuit ablated", 1, 1, (c) => c.loss_circuit_ablated),
      { label: `target ${target}`, color: "#999", points: span, dashed: true },
    ],
    {
      title: `Sufficiency and necessity${model ? ` (${model})` : ""}, test split`,
      xLabel: "task",
      yLabel: "task loss (nats)",
      xTicks: rows.map((r) => ({ value: r.x, label: r.task })),
      xDomain: [0.5, rows.length + 0.5],
    },
  );
}
