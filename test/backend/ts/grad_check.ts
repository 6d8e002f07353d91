import { expectClose, finiteDiff, sampleCoords } from "../../helpers/random.js";

/** Scalar probe: L = Σ y·r for a fixed random r, so dL/dy = r. */
export function dot(y: Float64Array, r: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i] * r[i];
  return s;
}

/** Asserts the analytic gradient `grad` of f at x against central differences at 12 sampled coordinates. */
export function checkGrad(
  name: string,
  f: () => number,
  x: Float64Array,
  grad: Float64Array,
  seed: number,
): void {
  const coords = sampleCoords(x.length, 12, seed);
  const fd = finiteDiff(f, x, coords);
  coords.forEach((c, i) => expectClose(grad[c], fd[i], `${name}[${c}]`));
}
