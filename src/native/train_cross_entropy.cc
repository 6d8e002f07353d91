// Cross-entropy of the logits with its gradient (train_kernels.h; oracle
// src/model/layers/cross_entropy.ts). Each row is done in double like the oracle, with a vectorised
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

typedef double vd8 __attribute__((vector_size(8 * sizeof(double))));
typedef int64_t vi8 __attribute__((vector_size(8 * sizeof(int64_t))));
typedef float vf8 __attribute__((vector_size(8 * sizeof(float))));

inline vd8 splat(double s) { return vd8{s, s, s, s, s, s, s, s}; }

// exp(x) for x ≤ 0 (the logits minus their row maximum): 0 below −708 (the oracle gives denormals
// there, which no float32 gradient or double sum can tell from 0), NaN for NaN.
inline vd8 expNonPositive(vd8 x) {
  const vd8 minX = splat(-708.0);
  const vd8 xc = x < minX ? minX : x;
  // x = n·ln2 + r with |r| ≤ ln2/2; n rounded to nearest by the 1.5·2^52 shifter, whose bit
  // pattern then holds n in its low bits.
  const vd8 shifter = splat(6755399441055744.0);
  const vd8 t = xc * splat(1.4426950408889634) + shifter;
  const vd8 n = t - shifter;
  const vd8 r = (xc - n * splat(6.93147180369123816490e-01)) - n * splat(1.90821492927058770002e-10);
  // Taylor series to r^13/13!: truncation below 1e-17 for |r| ≤ 0.35.
  vd8 p = splat(1.0 / 6227020800.0);
  p = p * r + splat(1.0 / 479001600.0);
  p = p * r + splat(1.0 / 39916800.0);
  p = p * r + splat(1.0 / 3628800.0);
  p = p * r + splat(1.0 / 362880.0);
  p = p * r + splat(1.0 / 40320.0);
  p = p * r + splat(1.0 / 5040.0);
  p = p * r + splat(1.0 / 720.0);
  p = p * r + splat(1.0 / 120.0);
  p = p * r + splat(1.0 / 24.0);
  p = p * r + splat(1.0 / 6.0);
  p = p * r + splat(0.5);
  p = p * r + splat(1.0);
  p = p * r + splat(1.0);
  vi8 bits;
  std::memcpy(&bits, &t, sizeof bits);
  const vi8 shifterBits = vi8{} + static_cast<int64_t>(0x4338000000000000LL);
  const vi8 scaleBits = ((bits - shifterBits) + static_cast<int64_t>(1023)) << 52;
  vd8 scale;
  std::memcpy(&scale, &scaleBits, sizeof scale);
  const vd8 e = p * scale;
  return x < minX ? splat(0.0) : e;
}

inline vd8 load8(const float* p) {
  vf8 f;
  std::memcpy(&f, p, sizeof f);
  return __builtin_convertvector(f, vd8);
}

// The oracle's `if (l > max) max = l` from −inf: NaN never becomes the maximum.
inline float rowMax(const float* row, int v) {
  vf acc = vbroadcast(-INFINITY);
  int j = 0;
  for (; j + kVL <= v; j += kVL) {
    const vf x = vload(row + j);
    acc = x > acc ? x : acc;
  }
  float mx = -INFINITY;
  for (int l = 0; l < kVL; l++) mx = acc[l] > mx ? acc[l] : mx;
  for (; j < v; j++) mx = row[j] > mx ? row[j] : mx;
  return mx;
}

// One non-ignored row: returns its loss logZ − logit[target]; e [v] receives exp(l − max).
double rowLoss(const float* row, int v, int target, double* e, float* dRow, double g) {
  const double mx = rowMax(row, v);
  vd8 acc = splat(0.0);
  int j = 0;
  for (; j + 8 <= v; j += 8) {
    const vd8 x = expNonPositive(load8(row + j) - mx);
    std::memcpy(e + j, &x, sizeof x);
    acc += x;
  }
  for (int l = 0; j < v; j++, l++) {
    e[j] = std::exp(static_cast<double>(row[j]) - mx);
    acc[l] += e[j];
  }
  const double z = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
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
