// The weight gradient dW += dYᵀ·X of a linear layer, from the nonzeros of dY (weight_grad.h).
//
// dW is cut into blocks of kBlockRows rows × kTile columns. A block's entries live in a small
// contiguous buffer (in L1) while the tokens go by in increasing order: for token t, X[t, tile] is
// loaded into registers once, and every nonzero dY[t, r] of the block's rows adds dY[t, r]·X[t, tile]
// to row r of the buffer. So each dW[r, c] is one FMA chain over the tokens with dY[t, r] ≠ 0, in
// increasing t. The nonzeros are listed once per call, token by token, per row block; X's tile is
// packed into a contiguous [n, kTile] block first (X's rows are often a power of two apart, which
// would map the tile onto a few cache sets), which the blocks then stream in token order.
#include "weight_grad.h"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <vector>

#include "rows.h"
#include "simd.h"
#include "thread_pool.h"

namespace csp {
namespace {

// Below this many multiply-adds one thread is faster than waking another.
constexpr double kParallelWork = 1e6;
// Columns per tile, in logical vectors (the tile of X stays in registers), and rows per block: the
// block's buffer (32 × 64 floats, 8 KiB) stays in L1. Neither changes any result.
constexpr int kTileVectors = 4;
constexpr int kTile = kTileVectors * kVL;
constexpr int kBlockRows = 32;

// A row block's nonzeros of dY, token by token: for token t, entries [start[t], start[t + 1]) give
// the row within the block and the value, rows ascending.
struct BlockNonzeros {
  std::vector<int32_t> start;  // [n + 1]
  std::vector<int32_t> row;
  std::vector<float> value;
};

// The calling thread's scratch, kept between calls (workers reach it through references: another JS
// thread inside a kernel at the same time has its own).
thread_local std::vector<BlockNonzeros> t_blocks;
thread_local AlignedBuffer t_tile;

bool listNonzeros(int n, const float* dy, int rows, int r0, int r1, BlockNonzeros& b) {
  try {
    b.start.resize(static_cast<size_t>(n) + 1);
    b.row.clear();
    b.value.clear();
    b.start[0] = 0;
    for (int t = 0; t < n; t++) {
      const float* d = dy + static_cast<size_t>(t) * rows;
      int r = r0;
      for (; r + kVL <= r1; r += kVL) {
        for (uint32_t bits = nonzeroLaneBits(d + r); bits != 0; bits &= bits - 1) {
          const int at = r + __builtin_ctz(bits);
          b.row.push_back(at - r0);
          b.value.push_back(d[at]);
        }
      }
      for (; r < r1; r++) {
        if (d[r] != 0.0f) {
          b.row.push_back(r - r0);
          b.value.push_back(d[r]);
        }
      }
      b.start[t + 1] = static_cast<int32_t>(b.row.size());
    }
  } catch (...) {
    return false;
  }
  return true;
}

// acc[row·kTile ..] += value·xt[t·kTile ..] for every listed nonzero, tokens in order; NV whole
// vectors of the tile (a short last tile has fewer).
template <int NV>
void accumulateBlock(const BlockNonzeros& b, int n, const float* xt, float* acc) {
  for (int t = 0; t < n; t++) {
    const int32_t q0 = b.start[t], q1 = b.start[t + 1];
    if (q0 == q1) continue;
    vf x[NV];
    for (int v = 0; v < NV; v++) x[v] = vload(xt + static_cast<size_t>(t) * kTile + v * kVL);
    for (int32_t q = q0; q < q1; q++) {
      float* a = acc + static_cast<size_t>(b.row[q]) * kTile;
      const vf w = vbroadcast(b.value[q]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) vstore(a + v * kVL, vfma(w, x[v], vload(a + v * kVL)));
    }
  }
}

// The same chains for the last `width` < kVL columns of a tile, one lane at a time.
void accumulateLanes(const BlockNonzeros& b, int n, const float* xt, int c0, int width, float* acc) {
  for (int t = 0; t < n; t++) {
    for (int32_t q = b.start[t]; q < b.start[t + 1]; q++) {
      float* a = acc + static_cast<size_t>(b.row[q]) * kTile;
      for (int c = c0; c < c0 + width; c++) a[c] = fmaScalar(b.value[q], xt[static_cast<size_t>(t) * kTile + c], a[c]);
    }
  }
}

}  // namespace

bool addWeightGradSparseDy(int n, const float* dy, const float* x, int rows, int cols, float* dw) {
  if (n == 0 || rows == 0 || cols == 0) return true;
  const double work = static_cast<double>(n) * rows * (1.0 + cols / 4.0);
  const int threads = work < kParallelWork ? 1 : threadCount();
  const int blocks = (rows + kBlockRows - 1) / kBlockRows;
  float* xt = t_tile.get(static_cast<size_t>(n) * kTile);
  if (!xt) return false;
  std::vector<BlockNonzeros>& lists = t_blocks;
  if (lists.size() < static_cast<size_t>(blocks)) lists.resize(blocks);
  std::atomic<bool> ok{true};
  parallelFor(blocks, threads, [&](int blk) {
    const int r0 = blk * kBlockRows, r1 = std::min(rows, r0 + kBlockRows);
    if (!listNonzeros(n, dy, rows, r0, r1, lists[blk])) ok.store(false);
  });
  if (!ok.load()) return false;
  const int tokenChunks = threads == 1 ? 1 : 2 * threads;
  for (int c0 = 0; c0 < cols; c0 += kTile) {
    const int width = std::min(kTile, cols - c0);
    // The tile's columns of X, contiguous: [n, kTile] (a short last tile keeps the same stride).
    parallelFor(tokenChunks, threads, [&](int part) {
      const int t0 = static_cast<int>(static_cast<int64_t>(n) * part / tokenChunks);
      const int t1 = static_cast<int>(static_cast<int64_t>(n) * (part + 1) / tokenChunks);
      copyBlock(x + static_cast<size_t>(t0) * cols, cols, c0, xt + static_cast<size_t>(t0) * kTile, kTile, 0, t1 - t0, width);
    });
    parallelFor(blocks, threads, [&](int blk) {
      const int r0 = blk * kBlockRows, r1 = std::min(rows, r0 + kBlockRows);
      alignas(64) float acc[kBlockRows * kTile];
      float* dwRows = dw + static_cast<size_t>(r0) * cols;
      copyBlock(dwRows, cols, c0, acc, kTile, 0, r1 - r0, width);
      const BlockNonzeros& b = lists[blk];
      const int whole = width / kVL;
      switch (whole) {
        case 4: accumulateBlock<4>(b, n, xt, acc); break;
        case 3: accumulateBlock<3>(b, n, xt, acc); break;
        case 2: accumulateBlock<2>(b, n, xt, acc); break;
        case 1: accumulateBlock<1>(b, n, xt, acc); break;
        default: break;
      }
      if (width % kVL) accumulateLanes(b, n, xt, whole * kVL, width % kVL, acc);
      copyBlock(acc, kTile, 0, dwRows, cols, c0, r1 - r0, width);
    });
  }
  return true;
}

}  // namespace csp
