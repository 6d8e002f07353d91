/**
 * Which circuit the viewer opens on and how the selector groups them (pure: shared by the front end and
 * Node tests, like api_types.ts).
 */
import type { CircuitEntry } from "./api_types.js";

/**
 * Whether a circuit reaches its target: the viewer's headline (uncalibrated, test split) when it could be
 * evaluated, else what the circuit file records (csp prune's train evaluation pairs); undefined when
 * unreadable.
 */
export function entryReached(c: CircuitEntry): boolean | undefined {
  if (c.error) return undefined;
  return c.headline?.reached ?? c.fileReached;
}

/** The circuit the page opens on: the smallest reached one (then the lowest loss); none if none reached. */
export function bestReached(circuits: readonly CircuitEntry[]): CircuitEntry | undefined {
  const reached = circuits.filter((c) => entryReached(c) === true);
  const loss = (c: CircuitEntry) => c.headline?.lossCircuit ?? Infinity;
  return reached.sort((a, b) => (a.nodes ?? 0) - (b.nodes ?? 0) || loss(a) - loss(b) || a.id - b.id)[0];
}

/** The id to open first: the best reached circuit, else the first readable one, else the first. */
export function initialCircuit(circuits: readonly CircuitEntry[]): number | undefined {
  return (bestReached(circuits) ?? circuits.find((c) => !c.error) ?? circuits[0])?.id;
}

/** Circuits grouped by task, in first-seen order; unreadable files last under their own heading. */
export function groupByTask(circuits: readonly CircuitEntry[]): { task: string; circuits: CircuitEntry[] }[] {
  const groups = new Map<string, CircuitEntry[]>();
  const key = (c: CircuitEntry) => (c.error ? "unreadable files" : (c.taskName ?? "unknown task"));
  for (const c of [...circuits.filter((c) => !c.error), ...circuits.filter((c) => c.error)]) {
    const k = key(c);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(c);
  }
  return [...groups].map(([task, list]) => ({ task, circuits: list }));
}
