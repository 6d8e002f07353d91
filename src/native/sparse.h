#pragma once

#include <cstdint>

namespace csp {

// A CSR matrix [rows, cols] whose arrays the caller has validated: ptr has rows + 1 nondecreasing
// entries, and every idx[p] for ptr[0] ≤ p < ptr[rows] lies in [0, cols).
struct CsrView {
  int rows, cols;
  const int32_t* ptr;
  const int32_t* idx;
  const float* val;
};

// Y[m, w.rows] = X[m, w.cols]·Wᵀ (+ Y) (+ bias[w.rows] on every row, when bias is not null). Returns
// false only when scratch memory ran out.
bool spmmNT(int m, const float* x, const CsrView& w, float* y, bool accumulate, const float* bias = nullptr);

// DX[m, w.cols] = DY[m, w.rows]·W (+ DX).
bool spmmNN(int m, const float* dy, const CsrView& w, float* dx, bool accumulate);

// Nonzero entries of dense[size].
int64_t countNonzeros(const float* dense, int64_t size);

// CSR of dense [rows, cols] into colIdx/values of `capacity` entries: one pass, rows in order. Returns
// the nonzero count; colIdx/values are written only when it equals `capacity`.
int64_t denseToCsr(const float* dense, int rows, int cols, int32_t* rowPtr, int32_t* colIdx, float* values,
                   int64_t capacity);

// out[p] = Σ_{i<m} DY[i, r]·X[i, c] for every nonzero p = (r, c) of the pattern (its val is unused).
bool sddmm(int m, const float* dy, const float* x, const CsrView& pattern, float* out);

}  // namespace csp
