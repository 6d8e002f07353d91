import type { CircuitFile } from "../circuit/format.js";
import type { CurvePoint } from "./api_types.js";

/**
 * The loss-versus-size points of a circuit's own search: every bisection evaluation of every trial
 * (k nodes kept → loss), one point per k (the lowest loss seen at that k), sorted by k.
 */
export function searchCurve(c: CircuitFile): CurvePoint[] {
  const best = new Map<number, number>();
  for (const trial of c.search_log)
    for (const [k, loss] of trial.bisection ?? [])
      if (Number.isFinite(k) && Number.isFinite(loss) && k > 0)
        best.set(k, Math.min(loss, best.get(k) ?? Infinity));
  return [...best].map(([nodes, loss]) => ({ nodes, loss })).sort((a, b) => a.nodes - b.nodes);
}

/** The series a circuit file's point belongs to: its task, and its control when it has one. */
export function seriesName(c: CircuitFile): string {
  return c.control ? `${c.task.name} (${c.control.kind} control)` : c.task.name;
}

/**
 * One point per circuit file: its size and its uncalibrated `loss_circuit` (the split its search measured,
 * so the points sit on the same scale as the bisection log), labelled with its series; sorted by series,
 * then size. Points of different series must never be joined.
 */
export function sweepCurve(files: readonly { file: string; circuit: CircuitFile }[]): CurvePoint[] {
  return files
    .map(({ file, circuit }) => ({
      nodes: circuit.num_nodes,
      loss: circuit.loss_circuit,
      file,
      series: seriesName(circuit),
    }))
    .sort((a, b) => (a.series < b.series ? -1 : a.series > b.series ? 1 : a.nodes - b.nodes));
}
