/** Node numbers sorted by score, highest first; ties go to the lower node number (deterministic). */
export function rankNodes(scores: ArrayLike<number>): Int32Array {
  const order = Int32Array.from({ length: scores.length }, (_, i) => i);
  const key = (i: number) => (Number.isNaN(scores[i]) ? -Infinity : scores[i]);
  return order.sort((a, b) => key(b) - key(a) || a - b);
}

/** The 0/1 node vector keeping the first k nodes of `order`. */
export function topKMask(order: Int32Array, k: number, out = new Float32Array(order.length)): Float32Array {
  out.fill(0);
  for (let i = 0; i < k; i++) out[order[i]] = 1;
  return out;
}

export interface BisectionStep {
  k: number;
  loss: number;
}

export interface BisectionResult {
  /** The smallest k found whose loss is at most the target (every node if even that fails). */
  k: number;
  loss: number;
  reached: boolean;
  /** Every evaluation, in the order made. */
  steps: BisectionStep[];
}

/**
 * Finds the smallest number k of kept nodes with lossAt(k) ≤ target, assuming the loss falls as k grows
 * (it need not; the result is then a k with lossAt(k) ≤ target and lossAt(k−1) > target). The search keeps
 * lossAt(lo) > target ≥ lossAt(hi) and halves [lo, hi] geometrically while hi/lo > 2 (circuits are a
 * small fraction of the nodes, so this saves evaluations), arithmetically after. `hint` (e.g. the
 * trained mask's size) is tried first; `known` losses are used without evaluating (or logging) them.
 */
export function bisectK(
  lossAt: (k: number) => number,
  total: number,
  target: number,
  hint?: number,
  known: ReadonlyMap<number, number> = new Map(),
): BisectionResult {
  const steps: BisectionStep[] = [];
  const memo = new Map<number, number>(known);
  const at = (k: number): number => {
    let l = memo.get(k);
    if (l === undefined) {
      l = lossAt(k);
      memo.set(k, l);
      steps.push({ k, loss: l });
    }
    return l;
  };
  const full = at(total);
  const hinted = hint !== undefined && hint > 0 && hint < total;
  if (!(full <= target)) {
    // The full model misses the target, yet a circuit can still reach it (ablating nodes can lower a
    // task loss, and a faithfulness control must get that chance): the trained mask's own size is tried,
    // and the search continues below it when it reaches the target.
    if (!hinted || !(at(hint) <= target)) return { k: total, loss: full, reached: false, steps };
  }
  if (at(0) <= target) return { k: 0, loss: at(0), reached: true, steps };
  let lo = 0;
  let hi = total;
  if (hinted) {
    if (at(hint) <= target) hi = hint;
    else lo = hint;
  }
  while (hi - lo > 1) {
    let mid = hi > 2 * Math.max(lo, 1) ? Math.round(Math.sqrt(Math.max(lo, 1) * hi)) : (lo + hi) >> 1;
    mid = Math.min(hi - 1, Math.max(lo + 1, mid));
    if (at(mid) <= target) hi = mid;
    else lo = mid;
  }
  return { k: hi, loss: at(hi), reached: true, steps };
}

/** The ranking with node `order[index]` moved to the front (the rest keep their order). */
export function promote(order: Int32Array, index: number): Int32Array {
  const out = new Int32Array(order.length);
  out[0] = order[index];
  out.set(order.subarray(0, index), 1);
  out.set(order.subarray(index + 1), index + 1);
  return out;
}
