import type { Backend, TopKProjection } from "../backend/backend.js";
import { getBackend } from "../backend/index.js";

/**
 * Magnitude top-k projection of a weight matrix with min-alive, in place on the backend: keeps exactly
 * min(k, rows·cols) entries (each neuron's largest first, then the largest |w| overall, ties to the
 * lower flat index) and returns that count. backend/ts/train_topk.ts is the oracle; the native kernel
 * keeps the same entries.
 */
export function projectTopK(p: TopKProjection, be: Backend = getBackend()): number {
  return be.projectTopK(p);
}
