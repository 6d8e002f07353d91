import { join } from "node:path";
import { saveModel } from "../../../src/model/checkpoint.js";
import { computeMeans, MEANS_FILE, saveMeans } from "../../../src/circuit/means.js";
import { weightsHash } from "../../../src/model/model_hash.js";
import { nodeLayout } from "../../../src/circuit/nodes.js";
import { plantedModel, randomWindows } from "../../../src/prune/synthetic.js";
import { saveTokenizer } from "../../../src/tokenizer/index.js";
import { METRICS_FILE, writeMetrics, type StepMetrics } from "../../../src/train/metrics.js";
import { BYTE_PLANTED_TOKENS, BYTE_TOKENIZER } from "../../helpers/planted_text.js";

/**
 * A planted-circuit model directory for the byte tokenizer (the marker task of
 * test/helpers/planted_text.ts): tokenizer, means, a config train section (pfrac null: trained dense) and
 * a metrics.jsonl whose last validation loss is `valLoss`.
 */
export function writePlantedModelDir(
  dir: string,
  o: { seed: number; pfrac: number | null; valLoss: number; noiseDensity?: number },
): void {
  const model = plantedModel({
    vocab: BYTE_TOKENIZER.vocabSize,
    tokens: BYTE_PLANTED_TOKENS,
    seed: o.seed,
    noiseDensity: o.noiseDensity,
  });
  saveModel(dir, model, { train: { pfrac: o.pfrac, progress: { elapsed_s: 12.5 } } });
  saveTokenizer(join(dir, "tokenizer"), BYTE_TOKENIZER);
  const windows = randomWindows(model.dims.vocab, 32, 16, 1);
  saveMeans(join(dir, MEANS_FILE), {
    values: computeMeans(model, nodeLayout(model.dims), windows, 16),
    windows,
    count: 32,
    length: 16,
    meta: { source: "random windows", modelHash: weightsHash(model) },
  });
  const rec = (step: number, val_loss?: number): StepMetrics => ({
    step,
    lr: 0,
    pfrac: o.pfrac,
    loss: 4,
    val_loss,
    grad_norm: 1,
    nonzero: 1,
    prunable: 1,
    tokens: step,
    elapsed_s: step,
  });
  writeMetrics(join(dir, METRICS_FILE), [rec(0, o.valLoss + 1), rec(1), rec(2, o.valLoss), rec(3)]);
}
