import type { Backend } from "../../backend/backend.js";
import type { FloatArray } from "../../tensor/tensor.js";

/** y[N, out] = x[N, in]·Wᵀ + b, with W stored [out, in] as in PyTorch. */
export function linearForward(
  be: Backend,
  o: {
    x: FloatArray;
    w: FloatArray;
    b: FloatArray | undefined;
    n: number;
    dIn: number;
    dOut: number;
    out: FloatArray;
  },
): void {
  const { x, w, b, n, dIn, dOut, out } = o;
  if (b) {
    for (let i = 0; i < n; i++) out.set(b, i * dOut);
  }
  be.gemm(false, true, n, dOut, dIn, x, w, out, b !== undefined);
}

/**
 * dx[N, in] (+)= dy[N, out]·W;  dW[out, in] += dyᵀ·x;  db[out] += Σ_n dy.
 * Any of dx / dw / db may be omitted when that gradient is not needed.
 */
export function linearBackward(
  be: Backend,
  o: {
    dy: FloatArray;
    x: FloatArray;
    w: FloatArray;
    n: number;
    dIn: number;
    dOut: number;
    dx?: FloatArray;
    accumulateDx?: boolean;
    dw?: FloatArray;
    db?: FloatArray;
  },
): void {
  const { dy, x, w, n, dIn, dOut } = o;
  if (o.dx) be.gemm(false, false, n, dIn, dOut, dy, w, o.dx, o.accumulateDx ?? false);
  if (o.dw) be.gemm(true, false, dOut, dIn, n, dy, x, o.dw, true);
  if (o.db) {
    const db = o.db;
    for (let i = 0; i < n; i++) for (let j = 0; j < dOut; j++) db[j] += dy[i * dOut + j];
  }
}
