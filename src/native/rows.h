// Row-wise and element-wise kernels of the activation-dense parts of a forward/backward pass: residual
// adds, RMSNorm, gathered table rows (bigram logits). Memory-bound: single pass, vectorisable loops.
#pragma once

#include <cstdint>

namespace csp {

// out[i] = a[i] + b[i] for i < size (out may alias a or b).
void addInto(const float* a, const float* b, float* out, int64_t size);

// RMSNorm of x [n, d] (rows of stride xStride) times w [d], into out rows of stride outStride at
// column outOffset; rstd[n] = 1/sqrt(mean(x²) + eps). Sums in double, as the TypeScript oracle.
void rmsNormForward(const float* x, const float* w, int n, int d, float* out, float* rstd, int xStride,
                    int outStride, int outOffset, double eps);

// Backward of rmsNormForward (x rows dense, stride d): dx += r·(g − u·mean(g·u)) with g = dy·w, u = x·r;
// dw += Σ_rows dy·u when dw is not null (rows summed in order, so the result is thread-independent).
void rmsNormBackward(const float* dy, const float* x, const float* w, const float* rstd, int n, int d, float* dx,
                     float* dw, int dyStride, int dyOffset);

// out[r, :] += table[ids[r], :] for r < n, rows of width `width`.
void addGatheredRows(const float* table, const int32_t* ids, int n, int width, float* out);

// table[ids[r], :] += src[r, :] for r < n in row order, skipping rows whose id equals skipId.
void scatterAddRows(const float* src, const int32_t* ids, int n, int width, float* table, int32_t skipId);

// dst[r·dstStride + dstOffset + j] = src[r·srcStride + srcOffset + j] for r < rows, j < width.
void copyBlock(const float* src, int srcStride, int srcOffset, float* dst, int dstStride, int dstOffset, int rows,
               int width);

}  // namespace csp
