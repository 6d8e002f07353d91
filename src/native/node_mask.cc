#include "node_mask.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "simd.h"
#include "thread_pool.h"

namespace csp {
namespace {

// Below this many entries one thread is faster than waking another.
constexpr int64_t kParallelEntries = 1 << 15;

int threadsFor(int64_t entries) { return entries >= kParallelEntries ? threadCount() : 1; }

// One row, out[c] = m·v + (1 − m)·μ in double where m ≠ 1, v where m = 1: kVLD channels per
// vector, each lane computing exactly the scalar expression (the tail is the same formula in scalars).
// out may be v itself: every entry is read before it is written, by the same lane.
inline float blend(double m, float v, float mu) {
  const double blended = m * static_cast<double>(v) + (1.0 - m) * static_cast<double>(mu);
  return m == 1.0 ? v : static_cast<float>(blended);
}

void blendRow(const double* mask, const float* v, const float* mu, int w, float* out) {
  int c = 0;
  const vd one = vbroadcastD(1.0);
  for (; c + kVLD <= w; c += kVLD) {
    const vd m = vloadAs<vd>(mask + c);
    const vfh vf32 = vloadAs<vfh>(v + c);
    const vd blended = m * vconvert<vd>(vf32) + (one - m) * vconvert<vd>(vloadAs<vfh>(mu + c));
    const vfh rounded = vconvert<vfh>(blended);
    vstoreAs(out + c, vselectAs(vconvert<VecOf<int32_t, kVLD>::type>(m == one), vf32, rounded));
  }
  for (; c < w; c++) out[c] = blend(mask[c], v[c], mu[c]);
}

// One row of the backward, out[c] = m·d in double where m ≠ 1, d where m = 1 (as blendRow).
void scaleRow(const double* mask, const float* d, int w, float* out) {
  int c = 0;
  const vd one = vbroadcastD(1.0);
  for (; c + kVLD <= w; c += kVLD) {
    const vd m = vloadAs<vd>(mask + c);
    const vfh d32 = vloadAs<vfh>(d + c);
    const vfh scaled = vconvert<vfh>(vconvert<vd>(d32) * m);
    vstoreAs(out + c, vselectAs(vconvert<VecOf<int32_t, kVLD>::type>(m == one), d32, scaled));
  }
  for (; c < w; c++) out[c] = mask[c] == 1.0 ? d[c] : static_cast<float>(static_cast<double>(d[c]) * mask[c]);
}

// A mask of only 0s and 1s (a circuit's) in float: m = 0 gives 0·v + μ, the same bits in float as in
// double (both products are ±0 or NaN exactly, and adding μ rounds nothing), in twice the lanes.
void blendRowBinary(const float* keep, const float* v, const float* mu, int w, float* out) {
  int c = 0;
  for (; c + kVL <= w; c += kVL) {
    const vf x = vload(v + c);
    vstore(out + c, vselect(vload(keep + c) == 1.0f, x, vzero() * x + vload(mu + c)));
  }
  for (; c < w; c++) out[c] = keep[c] == 1.0f ? v[c] : 0.0f * v[c] + mu[c];
}

}  // namespace

void nodeMaskForward(const NodeMaskView& v, float* out) {
  const int w = v.width;
  bool binary = true;
  for (int c = 0; c < w && binary; c++) binary = v.mask[c] == 0.0 || v.mask[c] == 1.0;
  std::vector<float> keep;
  if (binary) keep.assign(v.mask, v.mask + w);
  parallelFor(v.rows, threadsFor(static_cast<int64_t>(v.rows) * w), [&](int r) {
    const int64_t row = static_cast<int64_t>(r) * w;
    const float* mu = v.mu + (v.muPerRow ? row : 0);
    if (binary) {
      blendRowBinary(keep.data(), v.x + row, mu, w, out + row);
    } else {
      blendRow(v.mask, v.x + row, mu, w, out + row);
    }
  });
}

void nodeMaskBackward(const NodeMaskView& v, const float* dOut, float* dx, double* dMask, int perSequence) {
  const int w = v.width, rows = v.rows;
  const int threads = threadsFor(static_cast<int64_t>(rows) * w);
  // d loss / d m first: dx may be dOut itself.
  if (dMask) {
    const int t = perSequence > 0 ? perSequence : rows;
    // Channel blocks are independent sums, each summed row after row; a thread owns whole blocks.
    constexpr int kBlock = 256;
    const int blocks = (w + kBlock - 1) / kBlock;
    parallelFor(blocks, std::min(threads, blocks), [&](int b) {
      const int c0 = b * kBlock, c1 = std::min(w, c0 + kBlock);
      double s[kBlock];
      for (int seq = 0; seq < rows / t; seq++) {
        std::fill(s, s + (c1 - c0), 0.0);
        for (int r = seq * t; r < (seq + 1) * t; r++) {
          const int64_t row = static_cast<int64_t>(r) * w;
          const float* x = v.x + row;
          const float* mu = v.mu + (v.muPerRow ? row : 0);
          const float* d = dOut + row;
          for (int c = c0; c < c1; c++)
            s[c - c0] += static_cast<double>(d[c]) * (static_cast<double>(x[c]) - static_cast<double>(mu[c]));
        }
        for (int c = c0; c < c1; c++) dMask[c] += perSequence > 0 ? std::fabs(s[c - c0]) : s[c - c0];
      }
    });
  }
  parallelFor(rows, threads, [&](int r) {
    const int64_t row = static_cast<int64_t>(r) * w;
    scaleRow(v.mask, dOut + row, w, dx + row);
  });
}

}  // namespace csp
