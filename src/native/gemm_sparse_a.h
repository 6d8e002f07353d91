#pragma once
#include <cstdint>

namespace csp {

// C[m, n] = op(A)·op(B) (+ C when accumulate), with gemm's conventions (op(A) is A [m, k] or, with
// transA, A stored [k, m]; op(B) is B [k, n] or, with transB, B stored [n, k]), visiting only the
// nonzeros of A: the products of a linear layer with an operand that went through an AbsTopK (75%
// zeros), at a quarter of a dense GEMM's multiply-adds. Each C[i, j] is one fused multiply-add chain
// over the p with op(A)[i, p] ≠ 0, in increasing p, starting from C's own value (accumulate) or
// from 0: the result depends neither on the thread count nor on the build. A zero of A contributes
// nothing, so a non-finite op(B)[p, j] at such a p does not reach C (a dense product would make it
// NaN). Uses of it (src/model/layers/linear.ts):
//   weight gradient  dW += dYᵀ·X   transA, dY sparse
//   input gradient   dX  = dY·W             dY sparse
//   forward          Y   = X·Wᵀ    transB,  X sparse
// Returns false if scratch memory could not be had (C may then be partly written).
bool gemmSparseA(bool transA, bool transB, int m, int n, int k, const float* a, const float* b, float* c,
                 bool accumulate);

}  // namespace csp
