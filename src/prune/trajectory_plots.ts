import { lineChartSvg } from "../train/plot_svg.js";
import type { TrajectoryFile } from "./trajectory_format.js";

/** The plots `csp trajectory` writes beside trajectory.json, by file name. */
export const TRAJECTORY_PLOTS = {
  loss: "task_loss.svg",
  size: "circuit_size.svg",
  overlap: "jaccard_with_final.svg",
} as const;

/**
 * The three plots against training step: the full model's task loss (every snapshot, log scale, with
 * the target), the circuit's nodes and edges (pruned snapshots, log scale: edges fall tenfold while the
 * weights anneal to their final sparsity), and the Jaccard overlap of each
 * snapshot's node set with the final one (every snapshot with a defined overlap).
 */
export function trajectoryPlots(t: TrajectoryFile): Record<keyof typeof TRAJECTORY_PLOTS, string> {
  const steps = t.snapshots.map((s) => s.step);
  const span: [number, number] = [Math.min(0, ...steps), Math.max(...steps)];
  const pruned = t.snapshots.filter((s) => s.circuit !== null);
  const title = `${t.model.name}, ${t.task.name}`;
  return {
    loss: lineChartSvg(
      [
        {
          label: "full-model task loss",
          color: "#1f77b4",
          points: t.snapshots.map((s) => [s.step, s.task_loss]),
          markers: true,
        },
        {
          label: `target ${t.target_loss}`,
          color: "#888",
          points: span.map((x) => [x, t.target_loss]),
          dashed: true,
        },
      ],
      {
        title: `${title}: task loss across training`,
        xLabel: "training step",
        yLabel: "task loss",
        logY: true,
      },
    ),
    size: lineChartSvg(
      [
        { label: "nodes", color: "#2ca02c", points: pruned.map((s) => [s.step, s.nodes]), markers: true },
        { label: "edges", color: "#d62728", points: pruned.map((s) => [s.step, s.edges]), markers: true },
      ],
      {
        title: `${title}: circuit size (target ${t.target_loss})`,
        xLabel: "training step",
        yLabel: "count (log)",
        logY: true,
      },
    ),
    overlap: lineChartSvg(
      [
        {
          label: "Jaccard with the final circuit",
          color: "#9467bd",
          points: t.snapshots.flatMap((s) =>
            s.jaccard_with_final === null ? [] : [[s.step, s.jaccard_with_final] as [number, number]],
          ),
          markers: true,
        },
      ],
      { title: `${title}: node overlap with the final circuit`, xLabel: "training step", yLabel: "Jaccard" },
    ),
  };
}
