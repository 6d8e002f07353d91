// Moves a block of tokens between the row-major activation layout [tokens, width] and the
// "token-minor" layout T[c][t] (one row of `mb` tokens per feature c) the sparse kernels work in:
// there, one nonzero weight touches one contiguous run of tokens, i.e. whole SIMD vectors.
#pragma once

#include <cstddef>

namespace csp {

// T[(c - c0)·mb + t] = src[t·ld + c] for t < nt and c0 ≤ c < c1; T[(c - c0)·mb + t] = 0 for nt ≤ t < mb.
// `src` points at the block's first token row.
void packTokenMinor(const float* src, size_t ld, int nt, int c0, int c1, int mb, float* T);

// dst[t·ld + c] = T[(c - c0)·mb + t] (or += when accumulate) for t < nt and c0 ≤ c < c1.
void unpackTokenMinor(const float* T, int mb, int nt, float* dst, size_t ld, int c0, int c1, bool accumulate);

}  // namespace csp
