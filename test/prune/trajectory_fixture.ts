import { join } from "node:path";
import { computeMeans, MEANS_FILE, saveMeans } from "../../src/circuit/means.js";
import { nodeLayout } from "../../src/circuit/nodes.js";
import { saveModel } from "../../src/model/checkpoint.js";
import type { Model } from "../../src/model/model.js";
import { weightsHash } from "../../src/model/model_hash.js";
import { plantedModel, randomWindows } from "../../src/prune/synthetic.js";
import { saveTokenizer } from "../../src/tokenizer/index.js";
import { snapshotFile, writeSnapshot, type SnapshotEntry } from "../../src/train/snapshots.js";
import { BYTE_PLANTED_TOKENS, BYTE_TOKENIZER } from "../helpers/planted_text.js";

const planted = (seed: number) =>
  plantedModel({ vocab: BYTE_TOKENIZER.vocabSize, tokens: BYTE_PLANTED_TOKENS, seed });

/** The planted model with every weight zeroed: equal logits for both answers, task loss ln 2. */
function blankModel(): Model {
  const m = planted(1);
  for (const t of m.params.values()) t.data.fill(0);
  return m;
}

/**
 * A training-run directory as `csp train --snapshot-every 10` leaves it, without training: snapshots at
 * steps 10 (all weights zero: the task not learned), 20 and 30 (planted-circuit models of seeds 1 and
 * 2; 30 is the final model), the byte tokenizer, and means over random windows (whose windows the
 * trajectory reuses).
 */
export function writeSnapshotRun(dir: string): SnapshotEntry[] {
  const models: [number, Model][] = [
    [10, blankModel()],
    [20, planted(1)],
    [30, planted(2)],
  ];
  const entries = models.map(([step]) => ({
    step,
    tokens: step * 100,
    val_loss: step === 20 ? null : 5 - step / 10,
    file: snapshotFile(step),
  }));
  const final = models[models.length - 1][1];
  saveModel(dir, final, { train: { n_ctx: 16, snapshot_every: 10, snapshots: entries } });
  for (const [step, model] of models) writeSnapshot(dir, step, model);
  saveTokenizer(join(dir, "tokenizer"), BYTE_TOKENIZER);
  const windows = randomWindows(final.dims.vocab, 32, 16, 1);
  saveMeans(join(dir, MEANS_FILE), {
    values: computeMeans(final, nodeLayout(final.dims), windows, 16),
    windows,
    count: 32,
    length: 16,
    meta: { source: "random windows", modelHash: weightsHash(final) },
  });
  return entries;
}
