// Circuit pruning's node mask at one site: x ↦ m⊙x + (1−m)⊙μ per channel, and its backward.
// TypeScript oracle: src/backend/ts/node_mask.ts (double arithmetic, one rounding to float per result).
#pragma once
#include <cstdint>

namespace csp {

struct NodeMaskView {
  const float* x;     // [rows, width]
  int rows, width;
  const double* mask; // [width]; 1 passes the channel through untouched
  const float* mu;    // [width], or [rows, width] when muPerRow
  bool muPerRow;
};

// out = m·x + (1 − m)·μ where m ≠ 1, x elsewhere; out may be x itself (in place), not otherwise
// overlap it. Parallel over rows.
void nodeMaskForward(const NodeMaskView& v, float* out);

// dx = m·dOut where m ≠ 1, dOut elsewhere (dx may be dOut itself, not otherwise overlap it). With dMask, adds per channel Σ_rows dOut·(x − μ) summed in
// row order, or (perSequence = t > 0) Σ over sequences of |Σ over its t rows|. Parallel over rows for
// dx and over channels for dMask: every sum runs in the oracle's order whatever the thread count.
void nodeMaskBackward(const NodeMaskView& v, const float* dOut, float* dx, double* dMask, int perSequence);

}  // namespace csp
