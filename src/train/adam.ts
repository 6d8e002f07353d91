import type { AdamCoefficients, Backend } from "../backend/backend.js";
import { getBackend } from "../backend/index.js";
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

/** The coefficients of the update that makes `completedSteps + 1` steps. */
export function adamCoefficients(h: AdamHyper, completedSteps: number): AdamCoefficients {
  const t = completedSteps + 1;
  return {
    beta1: h.beta1,
    beta2: h.beta2,
    oneMinusBeta1: 1 - h.beta1,
    oneMinusBeta2: 1 - h.beta2,
    stepSize: h.lr / (1 - h.beta1 ** t),
    biasCorrection2Sqrt: Math.sqrt(1 - h.beta2 ** t),
    eps: h.eps,
  };
}

/**
 * One torch.optim.Adam step (no internal weight decay), as its fused kernel orders it:
 * m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
 * p ← p − (lr/(1−β1^t)) · m / (√v/√(1−β2^t) + ε).
 * ε is added after the bias correction of √v, which matters with the recipe's large ε = 0.1.
 * The step counter advances even at lr 0 (the reference's step 0). Moments and parameters stay
 * dense: pruned entries keep learning and can re-enter the top-k. Each tensor's update runs on the
 * backend (backend/ts/train_kernels.ts: adamUpdateTs is the oracle; the native kernel reproduces it bit for bit).
 */
export function adamStep<A extends FloatArray>(
  params: ReadonlyMap<string, A>,
  grads: ReadonlyMap<string, FloatArray>,
  state: AdamState<A>,
  h: AdamHyper,
  be: Backend = getBackend(),
): void {
  const c = adamCoefficients(h, state.step);
  for (const [name, p] of params) {
    const g = grads.get(name);
    const m = state.m.get(name);
    const v = state.v.get(name);
    if (!g || !m || !v) throw new Error(`adamStep: no gradient or moments for "${name}"`);
    if (g.length !== p.length)
      throw new Error(`adamStep: gradient of "${name}" has ${g.length} values, parameter ${p.length}`);
    if (m.length !== p.length || v.length !== p.length)
      throw new Error(`adamStep: moments of "${name}" do not have the parameter's ${p.length} values`);
    be.adamUpdate(p, g, m, v, c);
  }
  state.step += 1;
}
