import { sigmoid } from "../circuit/task_loss.js";

/** Forward of the mask: m = Heaviside(τ) with H(0) = 1. */
export function heaviside(tau: number): number {
  return tau >= 0 ? 1 : 0;
}

/** Backward of the mask: the sigmoid-derivative surrogate ∂m/∂τ = σ(τ/T)(1 − σ(τ/T))/T. */
export function heavisideSurrogate(tau: number, temp: number): number {
  const s = sigmoid(tau / temp);
  return (s * (1 - s)) / temp;
}

/** m = H(τ) for every node, as the Float32 mask the interventions read. */
export function masksFromTau(tau: Float64Array, out = new Float32Array(tau.length)): Float32Array {
  for (let i = 0; i < tau.length; i++) out[i] = heaviside(tau[i]);
  return out;
}
