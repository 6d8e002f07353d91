// Cross-entropy of the logits with its gradient (train_kernels.h; oracle
// src/backend/ts/train_cross_entropy.ts). Each row is done in double like the oracle, with a vectorised
// double exp (about 1 ulp) instead of Math.exp, and exp(l − max) computed once per entry: the
// gradient is exp(l − max)·(scale/count)/z rather than exp(l − logZ)·(scale/count), equal up to the
// last bits of a double, so the float32 gradient very rarely differs from the oracle's, by one ulp.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "simd.h"
#include "thread_pool.h"
#include "train_kernels.h"

namespace csp {
namespace {

// exp(x) for x ≤ 0 (the logits minus their row maximum): 0 below −708 (the oracle gives denormals
// there, which no float32 gradient or double sum can tell from 0), NaN for NaN.
inline vd expNonPositive(vd x) {
  const vd minX = vbroadcastD(-708.0);
  const vd xc = vselectD(x < minX, minX, x);
  // x = n·ln2 + r with |r| ≤ ln2/2; n rounded to nearest by the 1.5·2^52 shifter, whose bit
  // pattern then holds n in its low bits.
  const vd shifter = vbroadcastD(6755399441055744.0);
  const vd t = vfma(xc, vbroadcastD(1.4426950408889634), shifter);
  const vd n = t - shifter;
  const vd r = vfnma(n, vbroadcastD(1.90821492927058770002e-10), vfnma(n, vbroadcastD(6.93147180369123816490e-01), xc));
  // Taylor series to r^13/13!: truncation below 1e-17 for |r| ≤ 0.35.
  vd p = vbroadcastD(1.0 / 6227020800.0);
  p = vfma(p, r, vbroadcastD(1.0 / 479001600.0));
  p = vfma(p, r, vbroadcastD(1.0 / 39916800.0));
  p = vfma(p, r, vbroadcastD(1.0 / 3628800.0));
  p = vfma(p, r, vbroadcastD(1.0 / 362880.0));
  p = vfma(p, r, vbroadcastD(1.0 / 40320.0));
  p = vfma(p, r, vbroadcastD(1.0 / 5040.0));
  p = vfma(p, r, vbroadcastD(1.0 / 720.0));
  p = vfma(p, r, vbroadcastD(1.0 / 120.0));
  p = vfma(p, r, vbroadcastD(1.0 / 24.0));
  p = vfma(p, r, vbroadcastD(1.0 / 6.0));
  p = vfma(p, r, vbroadcastD(0.5));
  p = vfma(p, r, vbroadcastD(1.0));
  p = vfma(p, r, vbroadcastD(1.0));
  const vl scaleBits = ((vbitsD(t) - vbitsD(shifter)) + static_cast<int64_t>(1023)) << 52;
  const vd e = p * vfromBitsD(scaleBits);
  return vselectD(x < minX, vzeroD(), e);
}

inline vd load8(const float* p) { return vconvert<vd>(vloadAs<vfh>(p)); }

// The oracle's `if (l > max) max = l` from −inf: NaN never becomes the maximum.
inline float rowMax(const float* row, int v) {
  vf acc = vbroadcast(-INFINITY);
  int j = 0;
  for (; j + kVL <= v; j += kVL) acc = vmax(vload(row + j), acc);
  float mx = hmax(acc);  // no lane of acc is NaN
  for (; j < v; j++) mx = row[j] > mx ? row[j] : mx;
  return mx;
}

// One non-ignored row: returns its loss logZ − logit[target]; e [v] receives exp(l − max).
double rowLoss(const float* row, int v, int target, double* e, float* dRow, double g) {
  const double mx = rowMax(row, v);
  vd acc = vzeroD();
  int j = 0;
  for (; j + kVLD <= v; j += kVLD) {
    const vd x = expNonPositive(load8(row + j) - mx);
    vstoreAs(e + j, x);
    acc += x;
  }
  if (j < v) {
    // The tail's exps go to the first lanes (the others add +0, which changes no sum of exps).
    double tail[kVLD] = {};
    for (int l = 0; j + l < v; l++) tail[l] = e[j + l] = std::exp(static_cast<double>(row[j + l]) - mx);
    acc += vloadAs<vd>(tail);
  }
  // ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)).
  const double z = vsumD(acc);
  const double logZ = std::log(z) + mx;
  if (dRow) {
    const double c = g / z;
    for (j = 0; j < v; j++) dRow[j] = static_cast<float>(e[j] * c);
    dRow[target] = static_cast<float>(static_cast<double>(dRow[target]) - g);
  }
  return logZ - static_cast<double>(row[target]);
}

}  // namespace

CrossEntropyResult crossEntropy(const float* logits, const int32_t* targets, int n, int v, float* dLogits,
                                double scale) {
  int count = 0;
  for (int i = 0; i < n; i++) count += targets[i] != -1;
  const double g = scale / count;
  // Rows are independent; each chunk has its own exp scratch, allocated here (not on a worker).
  const int chunks = std::max(1, std::min(n, 4 * threadCount()));
  std::vector<double> scratch(static_cast<size_t>(chunks) * v);
  std::vector<double> loss(n, 0.0);
  const int64_t work = static_cast<int64_t>(n) * v;
  parallelFor(chunks, work >= (1 << 16) ? threadCount() : 1, [&](int chunk) {
    const int r0 = static_cast<int>(static_cast<int64_t>(n) * chunk / chunks);
    const int r1 = static_cast<int>(static_cast<int64_t>(n) * (chunk + 1) / chunks);
    double* e = scratch.data() + static_cast<size_t>(chunk) * v;
    for (int i = r0; i < r1; i++) {
      const float* row = logits + static_cast<int64_t>(i) * v;
      float* dRow = dLogits ? dLogits + static_cast<int64_t>(i) * v : nullptr;
      if (targets[i] == -1) {
        if (dRow) std::fill(dRow, dRow + v, 0.0f);
        continue;
      }
      loss[i] = rowLoss(row, v, targets[i], e, dRow, g);
    }
  });
  double total = 0;
  for (int i = 0; i < n; i++)
    if (targets[i] != -1) total += loss[i];
  return {count > 0 ? total / count : NAN, count};
}

}  // namespace csp
