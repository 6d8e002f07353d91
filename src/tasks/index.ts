/** Binary next-token tasks: task files and the built-in generators (the task loss is circuit/task_loss.ts). */
export {
  DEFAULT_TASK_MAX_LEN,
  TASK_SPLITS,
  TEST_FRACTION,
  defaultSplit,
  taskSplits,
  type Task,
  type TaskLine,
  type TaskPair,
  type TaskSplit,
} from "./task.js";
export {
  loadTask,
  parseTaskJsonl,
  tokenizeTaskLines,
  taskNameOf,
  type LoadTaskOptions,
  type NumberedTaskLine,
} from "./load.js";
export { formatTaskJsonl, writeTaskJsonl } from "./jsonl.js";
export {
  defineTask,
  targetProblem,
  type GenerateOptions,
  type GeneratedPair,
  type PairDraft,
  type TargetChoice,
  type TaskDefinition,
  type TaskGenerator,
} from "./generators/framework.js";
export { TASK_GENERATORS } from "./generators/registry.js";
