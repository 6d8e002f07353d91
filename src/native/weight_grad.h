#pragma once
#include <cstdint>

namespace csp {

// dw[rows, cols] += dyᵀ·x for dy [n, rows] and x [n, cols], visiting only the nonzeros of dy: the
// weight gradient of a linear layer whose output gradient went through an AbsTopK (75% zeros), at a
// quarter of a dense GEMM's multiply-adds. Each dw[r, c] is one fused multiply-add chain over the
// tokens t with dy[t, r] ≠ 0, in increasing t, starting from dw's own value: the result depends
// neither on the thread count nor on the build. A zero of dy contributes nothing, so a non-finite x
// at such a token does not reach dw (a dense product would make it NaN). Returns false if scratch
// memory could not be had (dw may then be partly updated).
bool addWeightGradSparseDy(int n, const float* dy, const float* x, int rows, int cols, float* dw);

}  // namespace csp
