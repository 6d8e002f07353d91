import type { FloatArray } from "../../tensor/tensor.js";

// ReLU, the non-default MLP and residual activation; not a Backend kernel, so it runs here in
// TypeScript on every backend.

export function reluForward(x: FloatArray, out: FloatArray, size: number): void {
  for (let i = 0; i < size; i++) out[i] = x[i] > 0 ? x[i] : 0;
}

export function reluBackward(x: FloatArray, dy: FloatArray, dx: FloatArray, size: number): void {
  for (let i = 0; i < size; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
}
