/**
 * circuit-sparsity as a library: the one entry point (`import ... from "circuit-sparsity"`). Every export
 * is listed, one line each, in docs/api.md; examples/ shows them at work. Deep imports of dist/src/...
 * are not part of the interface and may move.
 */

// Models: load, run with a cache, interventions and gradients, edit weights.
export {
  HookedModel,
  loadHookedModel as loadModel,
  type CachedRun,
  type GradientOptions,
  type GradientRun,
  type HookedModelOptions,
  type Interventions,
  type RunOptions,
  type RunResult,
  type RunWithCacheOptions,
} from "./model/hooked_model.js";
export type { HookFilter } from "./model/hook_filter.js";
export type { TokenInput } from "./model/token_input.js";
export { hookNames, channelReplace, functionIntervention, type Intervention } from "./model/hooks.js";
export { hookWidths, parseAblations, readAblationFile, type ChannelAblation } from "./model/ablate.js";
export { saveModel } from "./model/checkpoint.js";
export { DEFAULT_MODEL_DIR } from "./model/default_model.js";
export type { Model } from "./model/model.js";
export type { GPTConfig, ModelDims } from "./model/config.js";
export { Tensor } from "./tensor/tensor.js";
export { setBackend, type BackendName } from "./backend/index.js";
export { CspError } from "./errors.js";

// Tokenizers.
export { Tokenizer } from "./tokenizer/tokenizer.js";
export { saveTokenizer } from "./tokenizer/tokenizer_files.js";
export { DEFAULT_VOCAB_SIZE } from "./tokenizer/train_bpe.js";
export { trainCorpusTokenizer } from "./train/corpus_tokenizer.js";

export { loadTokenizerOf as loadTokenizer } from "./model/model_tokenizer.js";

// Tasks: minimal-pair task files and their generators.
export { TASK_GENERATORS, loadTask, writeTaskJsonl } from "./tasks/index.js";
export type { Task, TaskLine, TaskGenerator } from "./tasks/index.js";

// Circuits: nodes, means, circuit files, evaluation.
export { nodeLayout, type NodeLayout, type NodeSite } from "./circuit/nodes.js";
export { loadMeans, type NodeMeans } from "./circuit/means.js";
export { ABLATION_KINDS, type AblationKind } from "./circuit/ablation.js";
export { setupPrune, type PruneSetup, type SetupOptions } from "./circuit/setup.js";
export { readCircuit, checkCircuitFits, circuitMask } from "./circuit/read.js";
export type { CircuitFile } from "./circuit/format.js";
export { evaluateCircuit, evaluateCircuitFile, type CircuitEvaluation } from "./circuit/evaluate.js";

// Bridges (paper §2.3): steer a dense model with a node of a bridged sparse model.
export {
  parseBridgedNode,
  steer,
  type BridgedNode,
  type SteerExample,
  type SteerOptions,
  type SteerResult,
} from "./circuit/steer.js";
export { steerFromRequest, type SteerReport, type SteerRequest } from "./circuit/steer_request.js";
export {
  bridgesPath,
  readBridges,
  writeBridges,
  type BridgeSite,
  type Bridges,
  type BridgesMeta,
} from "./model/bridges_file.js";

// Pruning: find a task's circuit.
export { PRUNE_JOB_DEFAULTS, runPrune, type PruneJob, type PruneJobResult } from "./prune/run.js";
export { writeCircuit } from "./prune/circuit_file.js";
export { PRUNE_METHODS, type PruneMethod } from "./prune/prune.js";
export {
  DEFAULT_EFFECTS_PAIRS,
  DEFAULT_EVAL_PAIRS,
  DEFAULT_MASK_TRAIN,
  DEFAULT_MAX_EFFECT_NODES,
  DEFAULT_REPAIR_ROUNDS,
  type MaskTrainConfig,
} from "./prune/config.js";

// Training: the weight-sparse recipe, as `csp train` runs it.
export { runTrainRequest, type TrainRequest } from "./train/train_run.js";
export type { TrainOutcome } from "./train/trainer.js";
export { PRESET_NAMES } from "./train/presets.js";
export { bridgedExtension, type BridgeFlags } from "./train/bridges/bridge_flags.js";
