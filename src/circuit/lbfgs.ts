/** A smooth objective: its value and gradient at x. */
export type Objective = (x: Float64Array) => { value: number; grad: Float64Array };

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  /** Iterations made (each: one direction, one backtracking line search). */
  iterations: number;
}

/**
 * Minimises f by L-BFGS (two-loop recursion, history `memory`) for at most `maxIter` iterations, each
 * with a backtracking Armijo line search, so the value never increases. Stops early when the gradient
 * vanishes or a line search finds no decrease.
 */
export function lbfgs(f: Objective, x0: Float64Array, maxIter: number, memory = 10): LbfgsResult {
  const n = x0.length;
  let x = x0.slice();
  let { value, grad } = f(x);
  const sHist: Float64Array[] = [];
  const yHist: Float64Array[] = [];
  let iterations = 0;
  for (let it = 0; it < maxIter; it++) {
    if (maxAbs(grad) < 1e-10) break;
    // Two-loop recursion: d = −H·g.
    const q = grad.slice();
    const alphas: number[] = [];
    for (let j = sHist.length - 1; j >= 0; j--) {
      const rho = 1 / dot(yHist[j], sHist[j]);
      const a = rho * dot(sHist[j], q);
      alphas.push(a);
      axpy(-a, yHist[j], q);
    }
    if (sHist.length > 0) {
      const last = sHist.length - 1;
      const gamma = dot(sHist[last], yHist[last]) / dot(yHist[last], yHist[last]);
      for (let i = 0; i < n; i++) q[i] *= gamma;
    } else {
      // First step: scale so that the move is at most 1 in max-norm (as torch's LBFGS does with lr 1).
      const s = Math.min(1, 1 / Math.max(sumAbs(grad), 1e-300));
      for (let i = 0; i < n; i++) q[i] *= s;
    }
    for (let j = 0; j < sHist.length; j++) {
      const rho = 1 / dot(yHist[j], sHist[j]);
      const b = rho * dot(yHist[j], q);
      axpy(alphas[sHist.length - 1 - j] - b, sHist[j], q);
    }
    const d = q.map((v) => -v);
    let slope = dot(grad, d);
    if (!(slope < 0)) {
      // Not a descent direction (curvature pairs went stale): restart from steepest descent.
      sHist.length = 0;
      yHist.length = 0;
      for (let i = 0; i < n; i++) d[i] = -grad[i];
      slope = dot(grad, d);
    }
    let step = 1;
    let accepted = false;
    let next = x;
    let nextEval = { value, grad };
    for (let ls = 0; ls < 30; ls++) {
      next = x.map((v, i) => v + step * d[i]);
      nextEval = f(next);
      if (Number.isFinite(nextEval.value) && nextEval.value <= value + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    iterations++;
    if (!accepted) break;
    const s = next.map((v, i) => v - x[i]);
    const y = nextEval.grad.map((v, i) => v - grad[i]);
    if (dot(s, y) > 1e-12) {
      sHist.push(s);
      yHist.push(y);
      if (sHist.length > memory) {
        sHist.shift();
        yHist.shift();
      }
    }
    const improvement = value - nextEval.value;
    x = next;
    value = nextEval.value;
    grad = nextEval.grad;
    if (improvement <= 1e-15 * Math.max(1, Math.abs(value))) break;
  }
  return { x, value, iterations };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] += a * x[i];
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

function sumAbs(a: Float64Array): number {
  let m = 0;
  for (const v of a) m += Math.abs(v);
  return m;
}
