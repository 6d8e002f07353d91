import type { FloatArray } from "../tensor/tensor.js";

/** Adam's moments and step count; dense, one pair of arrays per trained parameter. */
export interface AdamState<A extends FloatArray = FloatArray> {
  /** Completed steps; the bias corrections use t = step + 1 for the next update. */
  step: number;
  /** First moment per parameter name. */
  m: Map<string, A>;
  /** Second moment per parameter name. */
  v: Map<string, A>;
}

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/** Zero moments shaped like the given parameters (same array type: fp32 engine, fp64 for checks). */
export function createAdamState<A extends FloatArray>(params: ReadonlyMap<string, A>): AdamState<A> {
  const m = new Map<string, A>();
  const v = new Map<string, A>();
  for (const [name, p] of params) {
    m.set(name, p.slice().fill(0) as A);
    v.set(name, p.slice().fill(0) as A);
  }
  return { step: 0, m, v };
}

/**
 * One torch.optim.Adam step (no internal weight decay), as its fused kernel orders it:
 * m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
 * p ← p − (lr/(1−β1^t)) · m / (√v/√(1−β2^t) + ε).
 * ε is added after the bias correction of √v, which matters with the recipe's large ε = 0.1.
 * The step counter advances even at lr 0 (the reference's step 0). Moments and parameters stay
 * dense: pruned entries keep learning and can re-enter the top-k.
 */
export function adamStep<A extends FloatArray>(
  params: ReadonlyMap<string, A>,
  grads: ReadonlyMap<string, FloatArray>,
  state: AdamState<A>,
  h: AdamHyper,
): void {
  const t = state.step + 1;
  const biasCorrection1 = 1 - h.beta1 ** t;
  const biasCorrection2Sqrt = Math.sqrt(1 - h.beta2 ** t);
  const stepSize = h.lr / biasCorrection1;
  const oneMinusBeta1 = 1 - h.beta1;
  const oneMinusBeta2 = 1 - h.beta2;
  for (const [name, p] of params) {
    const g = grads.get(name);
    const m = state.m.get(name);
    const v = state.v.get(name);
    if (!g || !m || !v) throw new Error(`adamStep: no gradient or moments for "${name}"`);
    if (g.length !== p.length)
      throw new Error(`adamStep: gradient of "${name}" has ${g.length} values, parameter ${p.length}`);
    for (let i = 0; i < p.length; i++) {
      const gi = g[i];
      m[i] = h.beta1 * m[i] + oneMinusBeta1 * gi;
      v[i] = h.beta2 * v[i] + oneMinusBeta2 * gi * gi;
      // Read back: the update uses the moments as stored (fp32 in the engine), like torch does.
      const denom = Math.sqrt(v[i]) / biasCorrection2Sqrt + h.eps;
      p[i] = p[i] - (stepSize * m[i]) / denom;
    }
  }
  state.step = t;
}
