import { constantBaselines } from "../../src/circuit/ablation.js";
import { frozenModel, type PruneContext } from "../../src/circuit/masked_run.js";
import { computeMeans } from "../../src/circuit/means.js";
import { nodeLayout, type NodeLayout } from "../../src/circuit/nodes.js";
import {
  plantedModel,
  plantedPairs,
  randomWindows,
  type PlantedModelOptions,
} from "../../src/prune/synthetic.js";
import { pairSequences, type TaskSequence } from "../../src/circuit/task_data.js";
import type { Model } from "../../src/model/model.js";

/** Fillers of the default planted model's 16-token vocabulary (ids 0–4 are markers, query, answers). */
export const FILLERS = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

export interface PlantedSetup {
  model: Model;
  layout: NodeLayout;
  ctx: PruneContext;
  means: Map<string, Float32Array>;
  train: TaskSequence[];
  test: TaskSequence[];
}

/** The planted-circuit model with mean ablation over random "pretraining" windows, and its task. */
export function plantedSetup(options: Partial<PlantedModelOptions> = {}, pairs = 120): PlantedSetup {
  const model = plantedModel(options);
  const layout = nodeLayout(model.dims);
  const means = computeMeans(model, layout, randomWindows(model.dims.vocab, 32, 16, 1), 16);
  const ctx = { model, frozen: frozenModel(model), layout, baselines: constantBaselines("mean", means) };
  const all = plantedPairs({ count: pairs, minLen: 5, maxLen: 9, fillers: FILLERS, seed: 3, testEvery: 4 });
  return {
    model,
    layout,
    ctx,
    means,
    train: pairSequences(all.filter((p) => p.split === "train")),
    test: pairSequences(all.filter((p) => p.split === "test")),
  };
}

/** Flat node number of "site:index". */
export function flatNode(layout: NodeLayout, label: string): number {
  const [site, index] = label.split(":");
  const s = layout.byName.get(site);
  if (!s) throw new Error(`no site ${site}`);
  return s.offset + Number(index);
}
