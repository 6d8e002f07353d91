#pragma once

namespace csp {

// C[m,n] = op(A)·op(B) (+ C if accumulate), row-major. op(A) = A[m,k], or A stored [k,m] if transA;
// op(B) = B[k,n], or B stored [n,k] if transB. C must not overlap A or B.
// Each C element is summed in the same order whatever the thread count. Returns false only when
// scratch memory could not be allocated (C is then unspecified).
bool gemm(bool transA, bool transB, int m, int n, int k, const float* a, const float* b, float* c, bool accumulate);

}  // namespace csp
