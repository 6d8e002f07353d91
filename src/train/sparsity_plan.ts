import { CspError } from "../errors.js";
import type { GPTConfig } from "../model/config.js";
import type { ParamSpec } from "../model/params.js";
import { initialPfrac, type TrainConfig } from "./train_config.js";
import { keepCount, l0Fraction, type L0Rule } from "./schedule.js";
import type { MinAlive } from "../backend/backend.js";
import { forcedCount } from "../backend/ts/train_topk.js";

/** How one parameter is projected each step. */
export interface PruneTarget {
  name: string;
  rows: number;
  cols: number;
  rule: L0Rule;
  /** Present for the four neuron-structured matrices when min-alive is on. */
  minAlive?: MinAlive;
}

/**
 * Which parameters the top-k projection touches, following apply_topk_ of train.py:
 * - every ≥2-D parameter except the bigram table (never pruned) and a concatenated wpe (kept dense);
 * - wte and lm_head with the embedding rule, everything else (attention/MLP weights, additive wpe)
 *   with the weight rule;
 * - min-alive on rows of c_attn and mlp.c_fc, on columns of attn.c_proj and mlp.c_proj;
 * - biases only with `sparse_biases` (embedding rule, plain top-k): the script never zeroes 1-D tensors.
 * Buffers (a fixed bigram table, a sinusoidal wpe, final_logits_bias) are never touched.
 */
export function sparsityPlan(specs: readonly ParamSpec[], model: GPTConfig, c: TrainConfig): PruneTarget[] {
  if (c.pfrac === null) return [];
  const targets: PruneTarget[] = [];
  const catPos = model.d_pos_emb !== null;
  for (const spec of specs) {
    if (spec.role !== "param") continue;
    const name = spec.name;
    const isBias = name.endsWith(".bias");
    if (name === "bigram_table") continue;
    if (name === "transformer.wpe.weight" && catPos) continue;
    if (isBias) {
      if (c.sparse_biases) targets.push({ name, rows: 1, cols: spec.shape[0], rule: "bias" });
      continue;
    }
    if (spec.shape.length < 2) continue;
    const [rows, cols] = [spec.shape[0], spec.shape.slice(1).reduce((a, b) => a * b, 1)];
    const embed = name === "transformer.wte.weight" || name === "lm_head.weight";
    const target: PruneTarget = { name, rows, cols, rule: embed ? "embed" : "weight" };
    const axis = neuronAxis(name);
    if (axis && c.achyuta_mixed_neuronwise_v2 && c.minimum_alive_per_neuron > 0) {
      target.minAlive = { axis, perNeuron: c.minimum_alive_per_neuron };
    }
    targets.push(target);
  }
  return targets;
}

/** Neurons are the output rows of c_attn / c_fc ([out, in] storage) and the input columns of the c_projs. */
function neuronAxis(name: string): "rows" | "cols" | undefined {
  if (name.endsWith("attn.c_attn.weight") || name.endsWith("mlp.c_fc.weight")) return "rows";
  if (name.endsWith("attn.c_proj.weight") || name.endsWith("mlp.c_proj.weight")) return "cols";
  return undefined;
}

/**
 * Refuses, before any training, a budget so small that min-alive alone would exceed k at some step
 * (the reference asserts this mid-run). k is smallest at whichever end of the anneal is sparser.
 */
export function checkMinAliveFits(targets: readonly PruneTarget[], c: TrainConfig, source: string): void {
  if (c.pfrac === null) return;
  const ends = c.pfrac_anneal ? [c.pfrac, initialPfrac(c)] : [c.pfrac];
  for (const t of targets) {
    if (!t.minAlive) continue;
    const need = forcedCount(t.rows, t.cols, t.minAlive);
    for (const p of ends) {
      const k = keepCount(l0Fraction(t.rule, p, c), t.rows * t.cols);
      if (k < need) {
        throw new CspError(
          `${source}: pfrac ${c.pfrac} keeps only ${k} entries of ${t.name} [${t.rows}, ${t.cols}], but min-alive needs ${need} ` +
            `(${t.minAlive.perNeuron} per neuron); raise pfrac, lower minimum_alive_per_neuron, or disable min-alive`,
        );
      }
    }
  }
}
