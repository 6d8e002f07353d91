import type { MinAlive, TopKProjection } from "../backend.js";
import type { FloatArray } from "../../tensor/tensor.js";

/**
 * The TypeScript oracle of Backend.projectTopK (native: src/native/train_topk.cc), and the checks
 * both backends run first. Magnitude top-k projection of a weight matrix: keep exactly k entries, zero
 * the rest. With min-alive, each neuron's largest entries are kept first (the reference gives them
 * score 1e10, we give them +inf), then the remaining budget goes to the largest |w| over the whole
 * matrix.
 *
 * Selection is by threshold: the (k − forced)-th largest |w| among the unforced entries is found by
 * quickselect in O(n); entries above it are kept, and entries equal to it are kept in index order
 * until exactly k survive. Ties are therefore broken towards the lower flat index (torch.topk leaves
 * them unspecified), which makes the projection deterministic. The native kernel finds the same
 * threshold another way and keeps the same entries.
 */

/** Number of entries min-alive forces into a [rows, cols] matrix. */
export function forcedCount(rows: number, cols: number, m: MinAlive): number {
  const neurons = m.axis === "rows" ? rows : cols;
  const width = m.axis === "rows" ? cols : rows;
  return neurons * Math.min(m.perNeuron, width);
}

/**
 * Checks a projection request as every backend does before touching the values: values of the right
 * size, k a non-negative integer, and no more entries forced by min-alive than k allows (unless k
 * keeps everything). Returns rows·cols.
 */
export function checkProjection(p: TopKProjection): number {
  const n = p.rows * p.cols;
  if (p.values.length !== n)
    throw new Error(`projectTopK: ${p.values.length} values for a [${p.rows}, ${p.cols}] matrix`);
  if (!Number.isInteger(p.k) || p.k < 0)
    throw new Error(`projectTopK: k must be a non-negative integer, got ${p.k}`);
  if (p.k < n && p.minAlive && p.minAlive.perNeuron > 0) {
    const nForced = forcedCount(p.rows, p.cols, p.minAlive);
    if (nForced > p.k) {
      throw new Error(`projectTopK: min-alive forces ${nForced} entries but only k = ${p.k} may be kept`);
    }
  }
  return n;
}

/** The TypeScript oracle of Backend.projectTopK (see the top of this file). */
export function projectTopKTs(p: TopKProjection): number {
  const { values, rows, cols } = p;
  const n = checkProjection(p);
  if (p.k >= n) return n;
  const forced =
    p.minAlive && p.minAlive.perNeuron > 0 ? markForced(values, rows, cols, p.minAlive) : undefined;
  const nForced = forced ? forcedCount(rows, cols, p.minAlive!) : 0;
  const budget = p.k - nForced;

  // Scores of the unforced entries; the budget-th largest is the threshold.
  const scores = new Float64Array(n - nForced);
  let c = 0;
  for (let i = 0; i < n; i++) if (!forced || forced[i] === 0) scores[c++] = Math.abs(values[i]);
  let threshold = Infinity;
  let tiesToKeep = 0;
  if (budget > 0) {
    threshold = kthLargest(scores, budget);
    let above = 0;
    for (let i = 0; i < scores.length; i++) if (scores[i] > threshold) above++;
    tiesToKeep = budget - above;
  }
  for (let i = 0; i < n; i++) {
    if (forced && forced[i] === 1) continue;
    const a = Math.abs(values[i]);
    if (a > threshold) continue;
    if (a === threshold && tiesToKeep > 0) {
      tiesToKeep--;
      continue;
    }
    values[i] = 0;
  }
  return p.k;
}

/**
 * Marks each neuron's `perNeuron` largest |w| (ties: lower index first). One pass over the matrix in
 * memory order, with a small sorted buffer per neuron, so column neurons cost no strided walks.
 */
function markForced(values: FloatArray, rows: number, cols: number, m: MinAlive): Uint8Array {
  const byRows = m.axis === "rows";
  const neurons = byRows ? rows : cols;
  const width = byRows ? cols : rows;
  const slots = Math.min(m.perNeuron, width);
  const bestVal = new Float64Array(neurons * slots).fill(-1);
  const bestIdx = new Int32Array(neurons * slots).fill(-1);
  for (let r = 0; r < rows; r++) {
    for (let col = 0; col < cols; col++) {
      const i = r * cols + col;
      const a = Math.abs(values[i]);
      const base = (byRows ? r : col) * slots;
      // Strictly greater: an equal later entry never displaces an earlier one.
      if (!(a > bestVal[base + slots - 1])) continue;
      let s = slots - 1;
      while (s > 0 && a > bestVal[base + s - 1]) {
        bestVal[base + s] = bestVal[base + s - 1];
        bestIdx[base + s] = bestIdx[base + s - 1];
        s--;
      }
      bestVal[base + s] = a;
      bestIdx[base + s] = i;
    }
  }
  const forced = new Uint8Array(rows * cols);
  for (const i of bestIdx) forced[i] = 1;
  return forced;
}

/**
 * The k-th largest value of `a` (1 ≤ k ≤ a.length); reorders `a`. Quickselect with a three-way
 * partition (many equal values, e.g. zeros, cost nothing extra) and a median-of-three pivot; after
 * too many rounds it sorts the remaining range, which bounds the worst case at O(n log n).
 */
export function kthLargest(a: Float64Array, k: number): number {
  if (!(k >= 1 && k <= a.length)) throw new Error(`kthLargest: k = ${k} outside [1, ${a.length}]`);
  // The k-th largest is the element at ascending position n − k.
  const target = a.length - k;
  let lo = 0;
  let hi = a.length - 1;
  let rounds = 0;
  const maxRounds = 2 * Math.ceil(Math.log2(a.length + 1)) + 16;
  while (lo < hi) {
    if (++rounds > maxRounds) {
      const sorted = a.subarray(lo, hi + 1).sort();
      return sorted[target - lo];
    }
    const pivot = medianOfThree(a[lo], a[(lo + hi) >>> 1], a[hi]);
    // Dutch flag: [lo, lt) < pivot, [lt, i) == pivot, (gt, hi] > pivot.
    let lt = lo;
    let gt = hi;
    let i = lo;
    while (i <= gt) {
      const x = a[i];
      if (x < pivot) {
        a[i] = a[lt];
        a[lt] = x;
        lt++;
        i++;
      } else if (x > pivot) {
        a[i] = a[gt];
        a[gt] = x;
        gt--;
      } else {
        i++;
      }
    }
    if (target < lt) hi = lt - 1;
    else if (target > gt) lo = gt + 1;
    else return pivot;
  }
  return a[target];
}

function medianOfThree(x: number, y: number, z: number): number {
  if (x < y) {
    if (y < z) return y;
    return x < z ? z : x;
  }
  if (x < z) return x;
  return y < z ? z : y;
}
