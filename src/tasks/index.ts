/** Binary next-token tasks: task files, built-in generators, batching and the pruning loss. */
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
export { taskLossFromLogits, taskAccuracy, referencePairLoss, type TaskLossResult } from "./loss.js";
export {
  makeTaskBatch,
  gatherLastLogits,
  scatterLastLogitGrads,
  taskBatchLoss,
  type TaskBatch,
  type TaskBatchOptions,
  type TaskPadding,
} from "./batch.js";
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
