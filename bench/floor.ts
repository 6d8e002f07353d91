import type { MachinePeaks } from "./peaks.js";

/** The forward whose floor is computed: shapes and the nonzeros its linear layers read. */
export interface ForwardShape {
  nLayer: number;
  nHead: number;
  dHead: number;
  vocab: number;
  batch: number;
  tokens: number;
  /** Nonzero weights of the linear layers (attention, MLP, lm_head), each read once. */
  linearNonzeros: number;
}

/**
 * The machine's floor for one forward: the least time the work that cannot be avoided takes at the
 * measured peaks. Compute: the causal attention products (QKᵀ and PV over j ≤ i, every head and layer)
 * and the products with the nonzero weights, at the GEMM peak. Memory: the bytes that must cross from
 * memory once: every nonzero weight (4-byte value + 4-byte index), the bigram row of every token and the
 * logits written (4 bytes × vocab each), at the read bandwidth. The floor is the larger of the two (a
 * roofline: each may overlap the other). The top-k selections, GELU and norms are counted as free: their
 * inputs come straight from the product before them, so a fused kernel would find them in cache.
 */
export interface InferenceFloor {
  attentionFlop: number;
  sparseLinearFlop: number;
  compulsoryBytes: number;
  computeSeconds: number;
  memorySeconds: number;
  floorSeconds: number;
  peaks: MachinePeaks;
}

export function inferenceFloor(f: ForwardShape, peaks: MachinePeaks): InferenceFloor {
  const pairs = (f.tokens * (f.tokens + 1)) / 2;
  const attentionFlop = f.batch * f.nLayer * f.nHead * 2 * 2 * f.dHead * pairs;
  const sparseLinearFlop = 2 * f.batch * f.tokens * f.linearNonzeros;
  const compulsoryBytes = 8 * f.linearNonzeros + 2 * 4 * f.batch * f.tokens * f.vocab;
  const computeSeconds = (attentionFlop + sparseLinearFlop) / (peaks.gemmGflops * 1e9);
  const memorySeconds = compulsoryBytes / (peaks.readGBs * 1e9);
  return {
    attentionFlop,
    sparseLinearFlop,
    compulsoryBytes,
    computeSeconds,
    memorySeconds,
    floorSeconds: Math.max(computeSeconds, memorySeconds),
    peaks,
  };
}
