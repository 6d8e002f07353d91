import { mixSeed } from "../random/seed.js";
import { Rng } from "../random/rng.js";
import type { MaskHyper } from "../circuit/format.js";

/**
 * Hyperparameters for trial `trial` of a random search around `centre` (trial 0 is the centre itself).
 * Scale-like values are drawn log-uniformly within a factor 4 of the centre (heaviside_temp within 3,
 * init_noise_bias kept inside (0, 1)), lr_warmup_frac uniformly in [0, 0.2]. Each trial has its own
 * stream, so trial i's values do not depend on how many trials run.
 */
export function sampleHyper(centre: MaskHyper, seed: number, trial: number): MaskHyper {
  if (trial === 0) return { ...centre };
  const rng = new Rng(mixSeed(seed, trial, 0x5ea4c));
  const logU = (c: number, f: number) => c * Math.exp((2 * rng.uniform() - 1) * Math.log(f));
  return {
    k_coef: logU(centre.k_coef, 4),
    init_noise_scale: logU(centre.init_noise_scale, 4),
    init_noise_bias: Math.min(0.9, logU(centre.init_noise_bias, 4)),
    wd: logU(centre.wd, 4),
    lr: logU(centre.lr, 4),
    inv_beta2: Math.min(0.5, logU(centre.inv_beta2, 4)),
    lr_warmup_frac: 0.2 * rng.uniform(),
    heaviside_temp: logU(centre.heaviside_temp, 3),
  };
}

/** Which of two finished trials is better: reached beats not reached, then fewer nodes, then lower loss. */
export function betterTrial(
  a: { reached: boolean; k: number; loss: number },
  b: { reached: boolean; k: number; loss: number },
): boolean {
  if (a.reached !== b.reached) return a.reached;
  if (a.k !== b.k) return a.k < b.k;
  return a.loss < b.loss;
}
