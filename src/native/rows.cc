#include "rows.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "simd.h"
#include "thread_pool.h"

namespace csp {

namespace {
// Rows per chunk so that a chunk is worth a thread hand-off (~64k elements).
int rowsPerChunk(int d) { return std::max(1, 65536 / std::max(1, d)); }

// ss[r] = Σ_j x[r·stride + j]² for G rows, each summed in double in j order, as one row alone would
// be: the G sums are independent chains, so they advance side by side instead of one add latency
// per element.
template <int G>
void sumSquaresRows(const float* x, int64_t stride, int d, double* ss) {
  double acc[G] = {};
  for (int j = 0; j < d; j++) {
    for (int r = 0; r < G; r++) {
      const double v = x[r * stride + j];
      acc[r] += v * v;
    }
  }
  for (int r = 0; r < G; r++) ss[r] = acc[r];
}
// dots[r] = Σ_j dy·w·x·rstd of G rows, in double in j order (the backward's per-row dot product),
// side by side as sumSquaresRows.
template <int G>
void normDotRows(const float* dy, int64_t dyStride, const float* x, int64_t xStride, const float* w,
                 const float* rstd, int d, double* dots) {
  double acc[G] = {};
  for (int j = 0; j < d; j++) {
    for (int r = 0; r < G; r++)
      acc[r] += static_cast<double>(dy[r * dyStride + j]) * w[j] * x[r * xStride + j] * static_cast<double>(rstd[r]);
  }
  for (int r = 0; r < G; r++) dots[r] = acc[r];
}

constexpr int kNormRows = 8;
}  // namespace

void addInto(const float* a, const float* b, float* out, int64_t size) {
  for (int64_t i = 0; i < size; i++) out[i] = a[i] + b[i];
}

void rmsNormForward(const float* x, const float* w, int n, int d, float* out, float* rstd, int xStride,
                    int outStride, int outOffset, double eps) {
  const int per = rowsPerChunk(d);
  const int chunks = (n + per - 1) / per;
  parallelFor(chunks, threadCount(), [&](int c) {
    const int end = std::min(n, (c + 1) * per);
    double sums[kNormRows];
    for (int i = c * per; i < end; i++) {
      const int inGroup = (i - c * per) % kNormRows;
      if (inGroup == 0) {
        const float* group = x + static_cast<int64_t>(i) * xStride;
        if (end - i >= kNormRows) {
          sumSquaresRows<kNormRows>(group, xStride, d, sums);
        } else {
          for (int r = 0; r < end - i; r++) sumSquaresRows<1>(group + r * static_cast<int64_t>(xStride), xStride, d, sums + r);
        }
      }
      const float* xi = x + static_cast<int64_t>(i) * xStride;
      const double ss = sums[inGroup];
      const double r = 1.0 / std::sqrt(ss / d + eps);
      rstd[i] = static_cast<float>(r);
      float* oi = out + static_cast<int64_t>(i) * outStride + outOffset;
      for (int j = 0; j < d; j++) oi[j] = static_cast<float>(xi[j] * r * w[j]);
    }
  });
}

void rmsNormBackward(const float* dy, const float* x, const float* w, const float* rstd, int n, int d, float* dx,
                     float* dw, int dyStride, int dyOffset) {
  const int per = rowsPerChunk(d);
  const int chunks = (n + per - 1) / per;
  // dx rows are independent; dw is a sum over rows: per-chunk partials, added in chunk order.
  std::vector<double> partial(dw ? static_cast<size_t>(chunks) * d : 0, 0.0);
  parallelFor(chunks, threadCount(), [&](int c) {
    const int end = std::min(n, (c + 1) * per);
    double* dwc = dw ? partial.data() + static_cast<size_t>(c) * d : nullptr;
    double dots[kNormRows];
    for (int i = c * per; i < end; i++) {
      const float* dyi = dy + static_cast<int64_t>(i) * dyStride + dyOffset;
      const float* xi = x + static_cast<int64_t>(i) * d;
      float* dxi = dx + static_cast<int64_t>(i) * d;
      const double r = rstd[i];
      const int inGroup = (i - c * per) % kNormRows;
      if (inGroup == 0) {
        if (end - i >= kNormRows) {
          normDotRows<kNormRows>(dyi, dyStride, xi, d, w, rstd + i, d, dots);
        } else {
          for (int q = 0; q < end - i; q++)
            normDotRows<1>(dyi + q * static_cast<int64_t>(dyStride), dyStride, xi + q * static_cast<int64_t>(d), d, w,
                           rstd + i + q, d, dots + q);
        }
      }
      const double meanDot = dots[inGroup] / d;
      for (int j = 0; j < d; j++) {
        const double g = static_cast<double>(dyi[j]) * w[j];
        const double u = xi[j] * r;
        dxi[j] = static_cast<float>(fmaScalar(r, fmaScalar(-u, meanDot, g), static_cast<double>(dxi[j])));
        if (dwc) dwc[j] = fmaScalar(static_cast<double>(dyi[j]), u, dwc[j]);
      }
    }
  });
  if (dw) {
    for (int j = 0; j < d; j++) {
      double s = dw[j];
      for (int c = 0; c < chunks; c++) s += partial[static_cast<size_t>(c) * d + j];
      dw[j] = static_cast<float>(s);
    }
  }
}

void addGatheredRows(const float* table, const int32_t* ids, int n, int width, float* out) {
  for (int r = 0; r < n; r++) {
    const float* src = table + static_cast<int64_t>(ids[r]) * width;
    float* dst = out + static_cast<int64_t>(r) * width;
    for (int j = 0; j < width; j++) dst[j] += src[j];
  }
}

void scatterAddRows(const float* src, const int32_t* ids, int n, int width, float* table, int32_t skipId) {
  for (int r = 0; r < n; r++) {
    if (ids[r] == skipId) continue;
    const float* s = src + static_cast<int64_t>(r) * width;
    float* dst = table + static_cast<int64_t>(ids[r]) * width;
    for (int j = 0; j < width; j++) dst[j] += s[j];
  }
}

void copyBlock(const float* src, int srcStride, int srcOffset, float* dst, int dstStride, int dstOffset, int rows,
               int width) {
  for (int r = 0; r < rows; r++)
    std::copy_n(src + static_cast<int64_t>(r) * srcStride + srcOffset, width,
                dst + static_cast<int64_t>(r) * dstStride + dstOffset);
}

}  // namespace csp
