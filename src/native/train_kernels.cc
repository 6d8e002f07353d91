// The elementwise and reduction kernels of train_kernels.h (top-k and cross-entropy live in
// train_topk.cc and train_cross_entropy.cc).
//
// No fused multiply-adds here (binding.gyp builds with -ffp-contract=off, and this file calls no
// vfma): one would round once where the TypeScript oracle rounds twice, and Adam, decay and the
// division must be its bit-for-bit twins.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "simd.h"
#include "thread_pool.h"
#include "train_kernels.h"

namespace csp {
namespace {

// Elementwise work below this size is not worth waking the pool for.
constexpr int64_t kParallelMin = 1 << 16;
constexpr int64_t kGrain = 1 << 15;

// f(lo, hi) over [0, size) in chunks of kGrain; chunks are disjoint, so the thread count is invisible.
template <typename F>
void forChunks(int64_t size, F f) {
  const int chunks = static_cast<int>((size + kGrain - 1) / kGrain);
  parallelFor(chunks, size >= kParallelMin ? threadCount() : 1, [&](int chunk) {
    const int64_t lo = chunk * kGrain;
    f(lo, std::min(size, lo + kGrain));
  });
}

// Σ x² of one block in eight interleaved double lanes (lane = index mod 8), combined pairwise:
// ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)).
double blockSumSquares(const float* x, int64_t size) {
  vd acc = vzeroD();
  int64_t i = 0;
  for (; i + kVLD <= size; i += kVLD) {
    const vd d = vconvert<vd>(vloadAs<vfh>(x + i));
    acc += d * d;
  }
  if (i < size) {
    // The tail goes to the first lanes; the others add +0, which changes no sum of squares.
    double tail[kVLD] = {};
    for (int l = 0; i < size; i++, l++) tail[l] = static_cast<double>(x[i]) * x[i];
    acc += vloadAs<vd>(tail);
  }
  return vsumD(acc);
}

}  // namespace

void adamUpdate(float* p, const float* g, float* m, float* v, int64_t size, const AdamCoefficients& c) {
  const double b1 = c.beta1, b2 = c.beta2, omb1 = c.oneMinusBeta1, omb2 = c.oneMinusBeta2;
  const double stepSize = c.stepSize, bc2 = c.biasCorrection2Sqrt, eps = c.eps;
  forChunks(size, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) {
      const double gi = g[i];
      // Stored to float32 and read back, as the oracle's Float32Array does.
      const float mi = static_cast<float>(b1 * static_cast<double>(m[i]) + omb1 * gi);
      const float vi = static_cast<float>(b2 * static_cast<double>(v[i]) + omb2 * gi * gi);
      m[i] = mi;
      v[i] = vi;
      const double denom = std::sqrt(static_cast<double>(vi)) / bc2 + eps;
      p[i] = static_cast<float>(static_cast<double>(p[i]) - (stepSize * static_cast<double>(mi)) / denom);
    }
  });
}

double sumSquares(const F32Span* arrays, int count) {
  struct Block {
    const float* data;
    int64_t size;
  };
  std::vector<Block> blocks;
  for (int a = 0; a < count; a++) {
    for (int64_t lo = 0; lo < arrays[a].size; lo += kSumBlock) {
      blocks.push_back({arrays[a].data + lo, std::min(kSumBlock, arrays[a].size - lo)});
    }
  }
  std::vector<double> partial(blocks.size());
  constexpr int kBlocksPerChunk = 8;
  const int chunks = static_cast<int>((blocks.size() + kBlocksPerChunk - 1) / kBlocksPerChunk);
  const int64_t total = static_cast<int64_t>(blocks.size()) * kSumBlock;
  parallelFor(chunks, total >= kParallelMin ? threadCount() : 1, [&](int chunk) {
    const size_t end = std::min(blocks.size(), static_cast<size_t>(chunk + 1) * kBlocksPerChunk);
    for (size_t b = static_cast<size_t>(chunk) * kBlocksPerChunk; b < end; b++) {
      partial[b] = blockSumSquares(blocks[b].data, blocks[b].size);
    }
  });
  double sum = 0;
  for (double s : partial) sum += s;
  return sum;
}

void divideInPlace(const F32Span* arrays, int count, double divisor) {
  for (int a = 0; a < count; a++) {
    float* g = arrays[a].data;
    forChunks(arrays[a].size, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; i++) g[i] = static_cast<float>(static_cast<double>(g[i]) / divisor);
    });
  }
}

void decayInPlace(const F32Span* arrays, int count, double factor) {
  for (int a = 0; a < count; a++) {
    float* p = arrays[a].data;
    forChunks(arrays[a].size, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; i++) {
        const double x = p[i];
        p[i] = static_cast<float>(x - factor * x);
      }
    });
  }
}

void addColumnSums(const float* dy, int n, int d, float* out) {
  // A chunk owns kWidth columns and walks all rows in order: each column is still a sequential
  // float32 sum over the rows, the oracle's order, with kWidth/kVL columns per vector register.
  constexpr int kVectors = 4, kWidth = kVectors * kVL;
  const int fullChunks = d / kWidth;
  const int chunks = fullChunks + (d % kWidth != 0 ? 1 : 0);
  const int64_t work = static_cast<int64_t>(n) * d;
  parallelFor(chunks, work >= kParallelMin ? threadCount() : 1, [&](int chunk) {
    const int j0 = chunk * kWidth;
    if (chunk < fullChunks) {
      vf acc[kVectors];
      for (int u = 0; u < kVectors; u++) acc[u] = vload(out + j0 + u * kVL);
      for (int i = 0; i < n; i++) {
        const float* row = dy + static_cast<int64_t>(i) * d + j0;
        for (int u = 0; u < kVectors; u++) acc[u] += vload(row + u * kVL);
      }
      for (int u = 0; u < kVectors; u++) vstore(out + j0 + u * kVL, acc[u]);
      return;
    }
    for (int j = j0; j < d; j++) {
      float acc = out[j];
      for (int i = 0; i < n; i++) acc += dy[static_cast<int64_t>(i) * d + j];
      out[j] = acc;
    }
  });
}

void maskByKept(float* dy, const uint8_t* kept, int64_t size) {
  forChunks(size, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) dy[i] = kept[i] ? dy[i] : 0.0f;
  });
}

}  // namespace csp
