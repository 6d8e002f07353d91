import { initialPfrac, mlpExpansion, type TrainConfig } from "./train_config.js";

/*
 * The official train.py schedules, written with the same floating-point operations in the same order,
 * so that every lr, pfrac and k matches the Python double-precision values bit for bit.
 */

/** W = int(lr_warmup_frac · S); 0 without warmup. */
export function warmupSteps(c: TrainConfig): number {
  return c.lr_warmup_frac === null ? 0 : Math.trunc(c.lr_warmup_frac * c.total_steps);
}

/** The warmup / linear-decay lr at step i, before the sharkfin factor. */
export function baseLearningRate(step: number, c: TrainConfig): number {
  const w = warmupSteps(c);
  const s = c.total_steps;
  let lr = c.lr_decay ? c.lr * Math.min(1, 1 - (step - w) / (s - w)) : c.lr;
  if (c.lr_warmup_frac !== null && step < w) lr = (c.lr * step) / w;
  return lr;
}

/** pfrac_i: the parameter budget in force at step i (pfrac itself when not annealing). */
export function pfracAt(step: number, c: TrainConfig): number {
  if (c.pfrac === null) throw new Error("pfracAt: dense training has no pfrac");
  if (!c.pfrac_anneal) return c.pfrac;
  const start = c.pfrac_anneal_start_frac * c.total_steps;
  const stop = c.pfrac_anneal_stop_frac * c.total_steps;
  const p0 = initialPfrac(c);
  if (c.pfrac_anneal_mode === "power_law") return logLogAnneal(step, p0, c.pfrac, start, stop);
  const progress = Math.min(1, Math.max(0, (step - start) / (stop - start)));
  const frac = 1 - (1 - progress) ** c.pfrac_anneal_exponent;
  return p0 + (c.pfrac - p0) * frac;
}

/** The reference's "power_law" anneal: a straight line in log10(step) / log10(value). */
function logLogAnneal(step: number, y0: number, y1: number, s0: number, s1: number): number {
  const logx0 = Math.log10(s0);
  const logx1 = Math.log10(s1);
  const logy0 = Math.log10(y0);
  const logy1 = Math.log10(y1);
  const slope = (logy1 - logy0) / (logx1 - logx0);
  if (step < s0) return y0;
  if (step > s1) return y1;
  return 10 ** (slope * (Math.log10(step) - logx0) + logy0);
}

/** The lr actually applied at step i: warmup/decay × sqrt(pfrac / pfrac_i) when the sharkfin is on. */
export function learningRateAt(step: number, c: TrainConfig): number {
  const lr = baseLearningRate(step, c);
  if (c.pfrac === null || !c.pfrac_anneal_schedule_lr_with_L0) return lr;
  return lr * (c.pfrac / pfracAt(step, c)) ** 0.5;
}

/** Which L0 formula a pruned tensor follows. */
export type L0Rule = "weight" | "embed" | "bias";

/**
 * Fraction of entries kept at budget pfrac_i. Weights: pfrac_i/(ef·efm). Embeddings, unembedding
 * (and biases when pruned): g(pfrac_i)/ef with g the *fixed* schedule of train.py,
 * g(x) = lerp(pfrac, ef, (x − pfrac)/(ef·efm − pfrac)), which goes linearly from dense to pfrac/ef.
 * (The paper's models kept an earlier, buggy embedding schedule; we follow the published script.)
 * Capped at 1.
 */
export function l0Fraction(rule: L0Rule, pfracI: number, c: TrainConfig): number {
  if (c.pfrac === null) return 1;
  const ef = c.expansion_factor;
  const efm = mlpExpansion(c);
  let frac: number;
  if (rule === "weight") {
    frac = pfracI / (ef * efm);
  } else {
    const final = c.pfrac;
    const adjusted = final + (ef - final) * ((pfracI - final) / (ef * efm - final));
    frac = adjusted / ef;
  }
  return Math.min(frac, 1);
}

/** k = int(L0frac · numel), Python truncation. */
export function keepCount(l0frac: number, numel: number): number {
  return Math.trunc(l0frac * numel);
}
