import type { StudyCell } from "./plan.js";
import type { StudyModel } from "./models.js";
import type { StudySpec } from "./spec.js";
import type { StudySummary } from "./summary.js";
import type { StudyTask } from "./tasks.js";

/**
 * Everything in study.json (docs/study.md). Its paths (model and tokenizer directories, task files, in
 * `spec` too) are relative to the study directory, as a circuit file's are to the circuit file.
 */
export interface StudyFile {
  spec: StudySpec;
  machine: { cpu: string; cores: number };
  command: string;
  started: string;
  /** Wall time of this invocation (cells skipped on resume cost nothing). */
  seconds: number;
  /** Sum of the recorded times of all cells, including those run by earlier invocations. */
  cell_seconds: number;
  models: StudyModel[];
  tasks: StudyTask[];
  cells: StudyCell[];
  summary: StudySummary;
  /** The task sets behind the plots' geometric means ("common": the same tasks for every model). */
  plots: {
    edges_vs_target: { rule: "common" | "per-model"; tasks: Record<string, string[]> };
    size_vs_pretrain_loss: { rule: "common" | "per-model"; tasks: Record<string, string[]> };
  };
}
