// C (+)= op(A)·op(B) over the nonzeros of A (gemm_sparse_a.h).
//
// C is cut into chunks of up to kRowChunk rows, one thread each, and the inner index p into blocks of
// kInnerBlock. Per row chunk and inner block, A's nonzeros are listed row by row of C (p ascending);
// then, one strip of kStrip columns at a time, every row of the chunk loads its strip of C into
// registers, adds value·op(B)[p, strip] for each of its listed p, and stores it back. So each
// C[i, j] is one FMA chain over the p with op(A)[i, p] ≠ 0, in increasing p, whatever the chunk,
// block and strip sizes (which follow the build's registers and cache, and change no result).
// An inner block's strip of op(B) (kInnerBlock × kStrip floats, 32 KiB) stays in L1 while the
// chunk's rows go by. op(B) is first copied (transposed, for transB) with a row stride just over a
// multiple of the cache line, because its rows are often a power of two apart, which would map
// every row's strip onto the same few L1 sets. Per nonzero the inner loop is kStripVectors loads and
// FMAs into registers, no stores (an earlier weight-gradient kernel kept its accumulators in an L1
// buffer and paid a load and a store per FMA: 1.3–1.9× slower).
#include "gemm_sparse_a.h"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <memory>
#include <new>

#include "rows.h"
#include "simd.h"
#include "thread_pool.h"
#include "token_layout.h"

namespace csp {
namespace {

// Below this many multiply-adds one thread is faster than waking another.
constexpr double kParallelWork = 1e6;
// Accumulators per row: eight native registers (of 64 bytes on AVX-512, 32 on AVX2).
constexpr int kStripVectors = kRegisterBytes == 64 ? 8 : 4;
constexpr int kStrip = kStripVectors * kVL;
constexpr int kInnerBlock = 32768 / (kStrip * static_cast<int>(sizeof(float)));
constexpr int kRowChunk = 128;

// One row chunk's nonzeros of op(A) within one inner block, row by row, p ascending.
struct ChunkLists {
  int count[kRowChunk];
  int32_t inner[kRowChunk][kInnerBlock];
  float value[kRowChunk][kInnerBlock];
};

thread_local std::unique_ptr<ChunkLists> t_lists;  // on the heap: too large for thread-local storage
thread_local AlignedBuffer t_b;

// Lists op(A)[i, p] ≠ 0 for rows [i0, i1) and p in [p0, p1). A is read along its stored rows:
// along p for each i, or (transA) along i for each p.
template <bool kTransA>
void listChunk(const float* a, int lda, int i0, int i1, int p0, int p1, ChunkLists& l) {
  const int rows = i1 - i0;
  std::fill(l.count, l.count + rows, 0);
  auto put = [&](int r, int p, float v) {
    const int slot = l.count[r]++;
    l.inner[r][slot] = p;
    l.value[r][slot] = v;
  };
  if constexpr (kTransA) {
    for (int p = p0; p < p1; p++) {
      const float* d = a + static_cast<size_t>(p) * lda + i0;
      forEachNonzero(d, rows, [&](int r) { put(r, p, d[r]); });
    }
  } else {
    for (int r = 0; r < rows; r++) {
      const float* d = a + static_cast<size_t>(i0 + r) * lda + p0;
      forEachNonzero(d, p1 - p0, [&](int q) { put(r, p0 + q, d[q]); });
    }
  }
}

// d[0 .. NV·kVL) += value·B[p, j0 ..] over row `row`'s list, in list order.
template <int NV>
[[gnu::always_inline]] inline void addRowStrip(const ChunkLists& l, int row, const float* b, int ldb, int j0,
                                               float* d) {
  vf acc[NV];
  for (int v = 0; v < NV; v++) acc[v] = vload(d + v * kVL);
  for (int s = 0; s < l.count[row]; s++) {
    const float* br = b + static_cast<size_t>(l.inner[row][s]) * ldb + j0;
    const vf w = vbroadcast(l.value[row][s]);
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++) acc[v] = vfma(w, vload(br + v * kVL), acc[v]);
  }
  for (int v = 0; v < NV; v++) vstore(d + v * kVL, acc[v]);
}

template <int NV>
void addRowsStrip(const ChunkLists& l, int i0, int i1, const float* b, int ldb, int j0, float* c, int n) {
  for (int i = i0; i < i1; i++) {
    if (l.count[i - i0] > 0) addRowStrip<NV>(l, i - i0, b, ldb, j0, c + static_cast<size_t>(i) * n + j0);
  }
}

// The columns from j0 on (fewer than kStrip) of rows [i0, i1): whole vectors, then lane by lane.
void addRowsRest(const ChunkLists& l, int i0, int i1, const float* b, int ldb, int j0, float* c, int n) {
  const int whole = (n - j0) / kVL;
  switch (whole) {
    case 7: addRowsStrip<7>(l, i0, i1, b, ldb, j0, c, n); break;
    case 6: addRowsStrip<6>(l, i0, i1, b, ldb, j0, c, n); break;
    case 5: addRowsStrip<5>(l, i0, i1, b, ldb, j0, c, n); break;
    case 4: addRowsStrip<4>(l, i0, i1, b, ldb, j0, c, n); break;
    case 3: addRowsStrip<3>(l, i0, i1, b, ldb, j0, c, n); break;
    case 2: addRowsStrip<2>(l, i0, i1, b, ldb, j0, c, n); break;
    case 1: addRowsStrip<1>(l, i0, i1, b, ldb, j0, c, n); break;
    default: break;
  }
  j0 += whole * kVL;
  if (j0 == n) return;
  for (int i = i0; i < i1; i++) {
    float* d = c + static_cast<size_t>(i) * n;
    for (int s = 0; s < l.count[i - i0]; s++) {
      const float* br = b + static_cast<size_t>(l.inner[i - i0][s]) * ldb;
      for (int j = j0; j < n; j++) d[j] = fmaScalar(l.value[i - i0][s], br[j], d[j]);
    }
  }
}

template <bool kTransA>
bool gemmSparseAT(int m, int n, int k, const float* a, const float* bp, int ldb, float* c, int threads) {
  const int lda = kTransA ? m : k;
  // Up to kRowChunk rows a chunk, fewer when that leaves a thread without work (a few hundred rows).
  const int chunkRows = std::clamp((m + 4 * threads - 1) / (4 * threads), 16, kRowChunk);
  const int rowChunks = (m + chunkRows - 1) / chunkRows;
  std::atomic<bool> ok{true};
  parallelFor(rowChunks, threads, [&](int chunk) {
    const int i0 = chunk * chunkRows, i1 = std::min(m, i0 + chunkRows);
    if (!t_lists) t_lists.reset(new (std::nothrow) ChunkLists);
    if (!t_lists) {
      ok.store(false);
      return;
    }
    ChunkLists& lists = *t_lists;
    for (int p0 = 0; p0 < k; p0 += kInnerBlock) {
      listChunk<kTransA>(a, lda, i0, i1, p0, std::min(k, p0 + kInnerBlock), lists);
      int j0 = 0;
      for (; j0 + kStrip <= n; j0 += kStrip) addRowsStrip<kStripVectors>(lists, i0, i1, bp, ldb, j0, c, n);
      if (j0 < n) addRowsRest(lists, i0, i1, bp, ldb, j0, c, n);
    }
  });
  return ok.load();
}

}  // namespace

bool gemmSparseA(bool transA, bool transB, int m, int n, int k, const float* a, const float* b, float* c,
                 bool accumulate) {
  if (m == 0 || n == 0) return true;
  if (!accumulate) std::fill(c, c + static_cast<size_t>(m) * n, 0.0f);
  if (k == 0) return true;
  const double work = static_cast<double>(m) * k * (1.0 + n / 4.0);
  const int threads = work < kParallelWork ? 1 : threadCount();
  // op(B) [k, n] with its rows one cache line past a multiple of the line apart (see the top).
  const int ldb = (n + 15) / 16 * 16 + 16;
  float* bp = t_b.get(static_cast<size_t>(k) * ldb);
  if (!bp) return false;
  const int copyChunks = threads == 1 ? 1 : 4 * threads;
  parallelFor(copyChunks, threads, [&](int part) {
    const int p0 = static_cast<int>(static_cast<int64_t>(k) * part / copyChunks);
    const int p1 = static_cast<int>(static_cast<int64_t>(k) * (part + 1) / copyChunks);
    if (transB) {
      // B is stored [n, k]: its columns p0..p1 become rows p0..p1 of the copy.
      packTokenMinor(b, static_cast<size_t>(k), n, p0, p1, ldb, bp + static_cast<size_t>(p0) * ldb);
    } else {
      copyBlock(b + static_cast<size_t>(p0) * n, n, 0, bp + static_cast<size_t>(p0) * ldb, ldb, 0, p1 - p0, n);
    }
  });
  return transA ? gemmSparseAT<true>(m, n, k, a, bp, ldb, c, threads)
                : gemmSparseAT<false>(m, n, k, a, bp, ldb, c, threads);
}

}  // namespace csp
