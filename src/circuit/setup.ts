import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { CspError } from "../errors.js";
import { mixSeed } from "../random/seed.js";
import { loadModel } from "../model/checkpoint.js";
import { createModel, type Model } from "../model/model.js";
import { loadTask } from "../tasks/load.js";
import { DEFAULT_TASK_MAX_LEN } from "../tasks/task.js";
import { loadModelTokenizer } from "../model/model_tokenizer.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";
import { initParams } from "../train/init.js";
import {
  constantBaselines,
  resampleBaselines,
  zeroBaselines,
  type AblationKind,
  type BaselineSource,
} from "./ablation.js";
import { frozenModel, type PruneContext } from "./masked_run.js";
import { computeMeans, loadMeans, type NodeMeans } from "./means.js";
import { sha256 } from "../model/model_hash.js";
import { nodeLayout, type NodeLayout } from "./nodes.js";
import {
  checkSequences,
  pairSequences,
  shuffleLabels,
  splitPairs,
  type PruneTask,
  type TaskSequence,
} from "./task_data.js";

/** A random-init control computes its own means on at most this many tokens of the means windows. */
export const RANDOM_INIT_MEANS_TOKENS = 8192;

/** A faithfulness control (spec G): prune a random model of the same shape, or a nonsense task. */
export const CONTROLS = ["random-init", "shuffled-labels"] as const;
export type ControlKind = (typeof CONTROLS)[number];

/** A randomly initialised model of the same config (the recipe's init, seeded). */
export function randomInitModel(model: Model, seed: number): Model {
  const params = initParams(model.config, seed);
  return createModel(model.config, params, `random init (seed ${seed})`, (n) => new Float32Array(n));
}

/** Everything a prune or evaluate run works on, loaded and checked. */
export interface PruneSetup {
  modelDir: string;
  /** The model being pruned or evaluated (a random one under the random-init control). */
  model: Model;
  layout: NodeLayout;
  ctx: PruneContext;
  task: PruneTask;
  taskPath: string;
  taskHash: string;
  tokenizer: Tokenizer;
  /** Sequences A, B, A, B, ... of each split (labels shuffled under that control). */
  train: TaskSequence[];
  test: TaskSequence[];
  means?: NodeMeans;
}

export interface SetupOptions {
  modelDir: string;
  taskPath: string;
  tokenizerDir?: string;
  ablation: AblationKind;
  control?: { kind: ControlKind; seed: number } | null;
  /** Progress of computing a random-init model's means (windows done). */
  onMeansProgress?: (done: number, total: number) => void;
}

/** Loads the model, its means (when the ablation needs them), the tokenizer and the task. */
export function setupPrune(opts: SetupOptions): PruneSetup {
  const loaded = loadModel(opts.modelDir);
  const control = opts.control ?? null;
  const model = control?.kind === "random-init" ? randomInitModel(loaded, control.seed) : loaded;
  const layout = nodeLayout(model.dims);
  let means: NodeMeans | undefined;
  if (opts.ablation !== "zero") means = loadMeans(opts.modelDir, loaded, nodeLayout(loaded.dims));
  let baselines: BaselineSource;
  if (opts.ablation === "zero") baselines = zeroBaselines(layout);
  else if (opts.ablation === "resample")
    baselines = resampleBaselines(model, layout, means!.windows, means!.count, means!.length);
  else if (control?.kind === "random-init") {
    // The random model's own means, on the first windows of the text the real model's means came from.
    const count = Math.min(means!.count, Math.max(1, Math.floor(RANDOM_INIT_MEANS_TOKENS / means!.length)));
    const windows = means!.windows.subarray(0, count * means!.length);
    const values = computeMeans(model, layout, windows, means!.length, {
      onProgress: (d) => opts.onMeansProgress?.(d, count),
    });
    baselines = constantBaselines("mean", values);
  } else baselines = constantBaselines("mean", means!.values);

  const tokenizer = loadModelTokenizer(opts.modelDir, {
    vocab: model.dims.vocab,
    tokenizerDir: opts.tokenizerDir,
  });
  // Left-truncated to the model's context (the reference truncates to 255 for its 256-token models), so a
  // task written for longer contexts still runs on a small model: the prediction point stays last.
  const task = loadTask(opts.taskPath, tokenizer, {
    maxLen: Math.min(DEFAULT_TASK_MAX_LEN, model.dims.blockSize),
  });
  const taskHash = sha256(readFileSync(opts.taskPath));
  let train = pairSequences(splitPairs(task, "train", opts.taskPath));
  let test = pairSequences(splitPairs(task, "test", opts.taskPath));
  for (const seqs of [train, test])
    checkSequences(seqs, model.dims.vocab, model.dims.blockSize, opts.taskPath);
  if (means && opts.ablation === "resample") {
    const longest = Math.max(...[...train, ...test].map((s) => s.ids.length));
    if (longest > means.length)
      throw new CspError(
        `${opts.taskPath}: sequences of up to ${longest} tokens, but the resample windows in ${opts.modelDir}/means.safetensors hold ${means.length}; rerun csp means with --seq-len ${longest}`,
      );
  }
  if (control?.kind === "shuffled-labels") {
    train = shuffleLabels(train, control.seed);
    test = shuffleLabels(test, mixSeed(control.seed, 0x7e57));
  }
  return {
    modelDir: opts.modelDir,
    model,
    layout,
    ctx: { model, frozen: frozenModel(model), layout, baselines },
    task,
    taskPath: opts.taskPath,
    taskHash,
    tokenizer,
    train,
    test,
    means,
  };
}

/** A model's display name: its directory's base name. */
export function modelName(modelDir: string): string {
  return basename(resolve(modelDir));
}
