/**
 * trajectory.json (`csp trajectory`): one task's circuit at every weight snapshot of a training run.
 * The schema is shared with the viewer's trajectory slider; docs/trajectory.md describes every field.
 */
export const TRAJECTORY_FORMAT = "csp-trajectory/1";
export const TRAJECTORY_FILE = "trajectory.json";

export interface TrajectorySnapshot {
  /** Completed optimizer steps. */
  step: number;
  tokens: number;
  /** Validation loss measured at this step during training, null if none was. */
  val_loss: number | null;
  /** Full-model task loss (test split). */
  task_loss: number;
  /** The circuit reached the target loss (false when not pruned). */
  reached: boolean;
  /** Circuit size (0 / 0 when not pruned). */
  nodes: number;
  edges: number;
  /** Circuit nodes as "site:index", sorted as strings. */
  node_set: string[];
  /** Jaccard overlap of node_set with the last snapshot's; null when both are empty. */
  jaccard_with_final: number | null;
  /** Circuit file relative to trajectory.json's directory; null when not pruned. */
  circuit: string | null;
}

export interface TrajectoryFile {
  format: typeof TRAJECTORY_FORMAT;
  /** The run directory, relative to trajectory.json's directory. */
  model: { path: string; name: string };
  /** The task file, relative to trajectory.json's directory. */
  task: { name: string; path: string };
  target_loss: number;
  /** The last snapshot's step (the final model). */
  final_step: number;
  /** Ascending step; the last is the final model. */
  snapshots: TrajectorySnapshot[];
}

/** A circuit's nodes (site → kept indices) as sorted "site:index" strings. */
export function nodeSet(nodes: Record<string, readonly number[]>): string[] {
  const out: string[] = [];
  for (const [site, indices] of Object.entries(nodes)) for (const i of indices) out.push(`${site}:${i}`);
  return out.sort();
}

/** |A ∩ B| / |A ∪ B|; null when both are empty (no overlap to speak of). */
export function jaccard(a: readonly string[], b: readonly string[]): number | null {
  const setA = new Set(a);
  const setB = new Set(b);
  let common = 0;
  for (const x of setA) if (setB.has(x)) common++;
  const union = setA.size + setB.size - common;
  return union === 0 ? null : common / union;
}
