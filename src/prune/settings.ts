import { intFlag, numFlag } from "../flag_values.js";
import {
  DEFAULT_CONFIDENCE,
  DEFAULT_EFFECTS_PAIRS,
  DEFAULT_EVAL_PAIRS,
  DEFAULT_MASK_TRAIN,
  DEFAULT_MAX_EFFECT_NODES,
  DEFAULT_REPAIR_ROUNDS,
} from "./config.js";
import type { PruneRunOptions } from "./prune.js";

/** The settings of a prune run besides the model, task, target, method, ablation and control. */
export type PruneSettings = Pick<
  PruneRunOptions,
  "mask" | "search" | "evalPairs" | "effectsPairs" | "maxEffectNodes" | "repairRounds" | "confidence"
>;

/**
 * The names of the prune settings: `csp prune --NAME` with "-" for "_", and the keys of a study
 * spec's "prune" object.
 */
export const PRUNE_SETTING_KEYS = [
  "seed",
  "steps",
  "batch",
  "search",
  "eval_pairs",
  "effects_pairs",
  "max_effect_nodes",
  "repair_rounds",
  "confidence",
  "k_coef",
  "lr",
  "init_noise_scale",
  "init_noise_bias",
  "wd",
  "inv_beta2",
  "lr_warmup_frac",
  "heaviside_temp",
] as const;
export type PruneSettingKey = (typeof PRUNE_SETTING_KEYS)[number];

/**
 * Prune settings from strings by key (undefined: the default), each checked with its bounds; `label`
 * names a key in error messages (a flag, or a field of a file).
 */
export function pruneSettings(
  value: (key: PruneSettingKey) => string | undefined,
  label: (key: PruneSettingKey) => string,
): PruneSettings {
  const d = DEFAULT_MASK_TRAIN;
  const pos = { min: 0, minExclusive: true };
  const int = (k: PruneSettingKey, fallback: number, min = 1) =>
    intFlag(label(k), value(k), fallback, { min });
  const num = (k: PruneSettingKey, fallback: number, range: Parameters<typeof numFlag>[3]) =>
    numFlag(label(k), value(k), fallback, range);
  return {
    mask: {
      ...d,
      seed: int("seed", d.seed, 0),
      steps: int("steps", d.steps),
      batch_pairs: int("batch", d.batch_pairs),
      k_coef: num("k_coef", d.k_coef, { min: 0 }),
      lr: num("lr", d.lr, pos),
      init_noise_scale: num("init_noise_scale", d.init_noise_scale, { min: 0 }),
      init_noise_bias: num("init_noise_bias", d.init_noise_bias, { min: -1, max: 1 }),
      wd: num("wd", d.wd, { min: 0 }),
      inv_beta2: num("inv_beta2", d.inv_beta2, { ...pos, max: 1 }),
      lr_warmup_frac: num("lr_warmup_frac", d.lr_warmup_frac, { min: 0, max: 1 }),
      heaviside_temp: num("heaviside_temp", d.heaviside_temp, pos),
    },
    search: int("search", 0, 0),
    evalPairs: int("eval_pairs", DEFAULT_EVAL_PAIRS),
    effectsPairs: int("effects_pairs", DEFAULT_EFFECTS_PAIRS),
    maxEffectNodes: int("max_effect_nodes", DEFAULT_MAX_EFFECT_NODES, 0),
    repairRounds: int("repair_rounds", DEFAULT_REPAIR_ROUNDS, 0),
    confidence: num("confidence", DEFAULT_CONFIDENCE, { min: 0 }),
  };
}
