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
