import type { ProgressFactory } from "../io/progress.js";
import { buildCircuit, withPathsRelativeTo, writeCircuit } from "./circuit_file.js";
import type { CircuitFile } from "../circuit/format.js";
import { ABLATION_KINDS, type AblationKind } from "../circuit/ablation.js";
import {
  DEFAULT_EFFECTS_PAIRS,
  DEFAULT_EVAL_PAIRS,
  DEFAULT_MASK_TRAIN,
  DEFAULT_MAX_EFFECT_NODES,
  DEFAULT_REPAIR_ROUNDS,
  DEFAULT_TARGET_LOSS,
  confidenceField,
  type MaskTrainConfig,
} from "./config.js";
import { pruneTask, type PruneMethod, type PruneOutcome, type PruneRunOptions } from "./prune.js";
import { modelName, setupPrune, type ControlKind, type PruneSetup } from "../circuit/setup.js";

/** Everything `csp prune` does, as a function (the CLI parses flags into this). */
export interface PruneJob {
  modelDir: string;
  taskPath: string;
  /** Circuit file to write; omitted: nothing is written. */
  out?: string;
  tokenizerDir?: string;
  targetLoss: number;
  ablation: AblationKind;
  method: PruneMethod;
  /** Random-search trials (0 or 1: a single run at the centre). */
  search: number;
  mask: MaskTrainConfig;
  evalPairs: number;
  effectsPairs: number;
  maxEffectNodes: number;
  repairRounds: number;
  /** Standard errors of margin below the target (PruneRunOptions.confidence; 0 or omitted: none). */
  confidence?: number;
  control?: ControlKind;
  /** Also prune under the other ablation types and record whether each reaches the target. */
  compareAblations?: boolean;
  progress?: ProgressFactory;
  /** Rankings shared with runs of the same model, task, method and settings at other targets. */
  rankings?: PruneRunOptions["rankings"];
}

/**
 * `csp prune`'s defaults for everything but the model and the task, so a script writes
 * `runPrune({ ...PRUNE_JOB_DEFAULTS, modelDir, taskPath })` and overrides what it needs.
 */
export const PRUNE_JOB_DEFAULTS: Readonly<Omit<PruneJob, "modelDir" | "taskPath">> = Object.freeze({
  targetLoss: DEFAULT_TARGET_LOSS,
  ablation: "mean",
  method: "learned",
  search: 0,
  mask: DEFAULT_MASK_TRAIN,
  evalPairs: DEFAULT_EVAL_PAIRS,
  effectsPairs: DEFAULT_EFFECTS_PAIRS,
  maxEffectNodes: DEFAULT_MAX_EFFECT_NODES,
  repairRounds: DEFAULT_REPAIR_ROUNDS,
});

/** One ablation type's result in an ablation comparison. */
export interface AblationComparison {
  ablation: AblationKind;
  reached: boolean;
  num_nodes: number;
  loss_circuit: number;
  loss_full: number;
}

export interface PruneJobResult {
  circuit: CircuitFile;
  /** What the main run pruned (its model, task splits and ablation), e.g. for a test-split evaluation. */
  setup: PruneSetup;
  outcome: PruneOutcome;
  comparison?: AblationComparison[];
  seconds: number;
}

/** The settings recorded in the circuit's prune_config (everything that fixes the result). */
function pruneConfigRecord(job: PruneJob, meansSource: string | null): Record<string, unknown> {
  return {
    ...job.mask,
    means_source: meansSource,
    method: job.method,
    search: job.search,
    eval_pairs: job.evalPairs,
    effects_pairs: job.effectsPairs,
    max_effect_nodes: job.maxEffectNodes,
    repair_rounds: job.repairRounds,
    ...confidenceField(job.confidence),
    calibration_steps: 16,
  };
}

function pruneOnce(job: PruneJob, ablation: AblationKind) {
  const control = job.control ? { kind: job.control, seed: job.mask.seed } : null;
  const meansBar: { bar?: ReturnType<ProgressFactory> } = {};
  const setup = setupPrune({
    modelDir: job.modelDir,
    taskPath: job.taskPath,
    tokenizerDir: job.tokenizerDir,
    ablation,
    control,
    onMeansProgress: (done, total) => {
      meansBar.bar ??= job.progress?.("random-init means", total);
      meansBar.bar?.update(done);
    },
  });
  meansBar.bar?.stop();
  const outcome = pruneTask(setup.ctx, setup.train, {
    method: job.method,
    targetLoss: job.targetLoss,
    mask: job.mask,
    search: job.search,
    evalPairs: job.evalPairs,
    effectsPairs: job.effectsPairs,
    maxEffectNodes: job.maxEffectNodes,
    repairRounds: job.repairRounds,
    confidence: job.confidence,
    progress: job.progress,
    rankings: job.rankings,
  });
  return { setup, outcome, control };
}

/** Prunes a task on a model and (with `out`) writes the circuit file. */
export function runPrune(job: PruneJob): PruneJobResult {
  const started = Date.now();
  const { setup, outcome, control } = pruneOnce(job, job.ablation);
  const circuit = buildCircuit(
    {
      modelPath: job.modelDir,
      modelName: modelName(job.modelDir),
      model: setup.model,
      taskPath: job.taskPath,
      taskName: setup.task.name,
      taskHash: setup.taskHash,
      method: job.method,
      control,
      ablation: job.ablation,
      targetLoss: job.targetLoss,
      pruneConfig: pruneConfigRecord(job, setup.means?.meta.source ?? null),
    },
    setup.layout,
    outcome,
  );
  let comparison: AblationComparison[] | undefined;
  if (job.compareAblations) {
    const row = (ablation: AblationKind, o: PruneOutcome): AblationComparison => ({
      ablation,
      reached: o.reached,
      num_nodes: o.k,
      loss_circuit: o.lossCircuit,
      loss_full: o.lossFull,
    });
    comparison = ABLATION_KINDS.map((a) =>
      // Another ablation ranks nodes differently: no shared rankings.
      a === job.ablation ? row(a, outcome) : row(a, pruneOnce({ ...job, rankings: undefined }, a).outcome),
    );
    (circuit as CircuitFile & { ablation_comparison?: AblationComparison[] }).ablation_comparison =
      comparison;
  }
  // The file names its model and task relative to itself (csp view finds them from any directory).
  if (job.out) writeCircuit(job.out, withPathsRelativeTo(job.out, circuit));
  return { circuit, setup, outcome, comparison, seconds: (Date.now() - started) / 1000 };
}
