import type { NodeMaskBackwardArgs, NodeMaskForwardArgs } from "../backend.js";

// The node mask of circuit pruning at one site, x ↦ m⊙x + (1−m)⊙μ per channel, and its backward.
// The TypeScript oracle of src/native/node_mask.cc. Arithmetic is in double, each result rounded
// once to the arrays' type; a channel with m = 1 passes x (or dOut) through untouched, so that it
// stays exact whatever μ holds.

/** out = m·x + (1 − m)·μ on the channels with m ≠ 1, x elsewhere. */
export function nodeMaskForward(a: NodeMaskForwardArgs): void {
  const { x, rows, width: w, mask, mu, muPerRow, out } = a;
  for (let r = 0; r < rows; r++) {
    const row = r * w;
    const muAt = muPerRow ? row : 0;
    for (let c = 0; c < w; c++) {
      const m = mask[c];
      out[row + c] = m === 1 ? x[row + c] : m * x[row + c] + (1 - m) * mu[muAt + c];
    }
  }
}

/**
 * dx = m·dOut on the channels with m ≠ 1 (dOut elsewhere); with dMask, adds d loss / d m per channel:
 * Σ over rows of dOut·(x − μ) summed row by row, or with perSequence = t rows, Σ over sequences of
 * |Σ over the sequence's rows| (attribution).
 */
export function nodeMaskBackward(a: NodeMaskBackwardArgs): void {
  const { x, rows, width: w, mask, mu, muPerRow, dOut, dx, dMask, perSequence } = a;
  if (dMask) {
    const t = perSequence ?? rows;
    const s = new Float64Array(w);
    for (let seq = 0; seq < rows / t; seq++) {
      s.fill(0);
      for (let r = seq * t; r < (seq + 1) * t; r++) {
        const row = r * w;
        const muAt = muPerRow ? row : 0;
        for (let c = 0; c < w; c++) s[c] += dOut[row + c] * (x[row + c] - mu[muAt + c]);
      }
      if (perSequence !== undefined) for (let c = 0; c < w; c++) dMask[c] += Math.abs(s[c]);
      else for (let c = 0; c < w; c++) dMask[c] += s[c];
    }
  }
  for (let r = 0; r < rows; r++) {
    const row = r * w;
    for (let c = 0; c < w; c++) {
      const m = mask[c];
      dx[row + c] = m === 1 ? dOut[row + c] : dOut[row + c] * m;
    }
  }
}
