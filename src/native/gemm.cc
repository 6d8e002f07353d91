// Blocked, packed GEMM in the BLIS shape: B is packed into KC×NR micro-panels that stay in L1, A into
// MR×KC micro-panels streamed from L2, and an MR×NR register tile accumulates one KC slice at a time.
// Packing absorbs the four transpose cases, so there is one micro-kernel. Edge tiles are packed with
// zeros and computed by the same kernel into a scratch tile, so every output element goes through
// exactly the same arithmetic wherever it sits — that, plus a fixed KC, is what makes the result
// independent of how the outputs are split between threads.
// Each thread chunk packs the operand shared by all chunks again (A when C is split by columns), so
// packing must run near memory speed: the transposing packs (A[m,k], B stored [n,k]) go through a
// 16×16 register transpose (8×8 on AVX/AVX2 builds), the others copy whole panel rows. Scalar
// strided packing used to take about a fifth of a 2048³ product on two threads (AVX-512; the AVX2
// build packed that way until 2026-12-03).
#include "gemm.h"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "simd.h"
#include "thread_pool.h"

namespace csp {
namespace {

// Register blocking is the one thing that follows the build's registers: every element of C is
// the same sequence of fused multiply-adds (p = 0, 1, ... within each KC slice) whatever MR and NR
// are, so the results do not depend on it.
#if defined(__AVX512F__)
constexpr int MR = 14;  // 14×2 accumulators + 2 B vectors + 1 broadcast fit the 32 zmm registers
constexpr int NRV = 2;  // vectors per micro-tile row
#elif defined(__AVX__)
constexpr int MR = 6;   // 6 accumulator vectors of two ymm halves + 2 + 1 fit the 16 ymm registers
constexpr int NRV = 1;
#else
constexpr int MR = 4;
constexpr int NRV = 1;
#endif
constexpr int NR = NRV * kVL;
constexpr int KC = 256;      // B micro-panel KC×NR: 32 KiB with AVX-512, inside L1
constexpr int MC = MR * 12;  // A block MC×KC: ~170 KiB, inside L2
constexpr int NC = NR * 64;  // B block KC×NC: 2 MiB, shared L3
constexpr int kPrefetchC = 64;  // k steps before the end of a slice at which the C tile is prefetched

// Below this many multiply-adds one thread is faster than waking another.
constexpr double kParallelFlops = 2e6;

struct Problem {
  bool ta, tb;
  int m, n, k;
  const float* a;
  const float* b;
  float* c;
  bool accumulate;
};

// pa[panel][p][i] = op(A)[i0 + panel·MR + i, p0 + p], zero past row m.
void packA(const Problem& g, int i0, int mc, int p0, int kc, float* __restrict pa) {
  for (int ir = 0; ir < mc; ir += MR) {
    const int rows = std::min(MR, mc - ir);
    float* dst = pa + static_cast<size_t>(ir) * kc;
    if (!g.ta) {
      // A[m,k]: each op(A) row is contiguous along p, so this is a transpose.
      const float* src = g.a + static_cast<size_t>(i0 + ir) * g.k + p0;
      int pDone = 0;
#if defined(CSP_TRANSPOSE16)
      static_assert(MR <= 16, "one 16×16 transpose covers a panel");
      if (rows == MR) {
        pDone = kc - kc % 16;
        for (int p = 0; p < pDone; p += 16) {
          vf r[16];
          for (int i = 0; i < MR; i++) r[i] = vload(src + static_cast<size_t>(i) * g.k + p);
          for (int i = MR; i < 16; i++) r[i] = vzero();
          transpose16x16(r);
          for (int q = 0; q < 16; q++) std::memcpy(dst + (p + q) * MR, &r[q], MR * sizeof(float));
        }
      }
#elif defined(__AVX__)
      static_assert(MR <= 8, "one 8×8 transpose covers a panel");
      if (rows == MR) {
        pDone = kc - kc % 8;
        for (int p = 0; p < pDone; p += 8) {
          __m256 r[8];
          for (int i = 0; i < MR; i++) r[i] = _mm256_loadu_ps(src + static_cast<size_t>(i) * g.k + p);
          for (int i = MR; i < 8; i++) r[i] = _mm256_setzero_ps();
          transpose8x8(r);
          for (int q = 0; q < 8; q++) std::memcpy(dst + (p + q) * MR, &r[q], MR * sizeof(float));
        }
      }
#endif
      for (int i = 0; i < rows; i++) {
        for (int p = pDone; p < kc; p++) dst[p * MR + i] = src[static_cast<size_t>(i) * g.k + p];
      }
    } else if (rows == MR) {
      // A stored [k,m]: MR consecutive rows of op(A) sit side by side for each p. A constant-size
      // copy compiles to a few vector moves (a copy of `rows` floats became a memcpy call per p).
      const float* src = g.a + static_cast<size_t>(p0) * g.m + i0 + ir;
      for (int p = 0; p < kc; p++) std::memcpy(dst + p * MR, src + static_cast<size_t>(p) * g.m, MR * sizeof(float));
    } else {
      for (int p = 0; p < kc; p++) {
        const float* src = g.a + static_cast<size_t>(p0 + p) * g.m + i0 + ir;
        for (int i = 0; i < rows; i++) dst[p * MR + i] = src[i];
      }
    }
    for (int i = rows; i < MR; i++) {
      for (int p = 0; p < kc; p++) dst[p * MR + i] = 0.0f;
    }
  }
}

// pb[panel][p][j] = op(B)[p0 + p, j0 + panel·NR + j], zero past column n.
void packB(const Problem& g, int j0, int nc, int p0, int kc, float* __restrict pb) {
  for (int jr = 0; jr < nc; jr += NR) {
    const int cols = std::min(NR, nc - jr);
    float* dst = pb + static_cast<size_t>(jr) * kc;
    if (!g.tb) {
      // B[k,n]: each op(B) row slice is contiguous.
      for (int p = 0; p < kc; p++) {
        const float* src = g.b + static_cast<size_t>(p0 + p) * g.n + j0 + jr;
        float* d = dst + p * NR;
        if (cols == NR) {
          for (int v = 0; v < NRV; v++) vstore(d + v * kVL, vload(src + v * kVL));
        } else {
          for (int j = 0; j < cols; j++) d[j] = src[j];
          for (int j = cols; j < NR; j++) d[j] = 0.0f;
        }
      }
    } else {
      // B stored [n,k]: each op(B) column is contiguous along p, so this is a transpose.
      int pDone = 0;
#if defined(CSP_TRANSPOSE16)
      if (cols == NR) {
        pDone = kc - kc % 16;
        for (int h = 0; h < NR; h += 16) {
          const float* src = g.b + static_cast<size_t>(j0 + jr + h) * g.k + p0;
          for (int p = 0; p < pDone; p += 16) {
            vf r[16];
            for (int i = 0; i < 16; i++) r[i] = vload(src + static_cast<size_t>(i) * g.k + p);
            transpose16x16(r);
            for (int q = 0; q < 16; q++) vstore(dst + (p + q) * NR + h, r[q]);
          }
        }
      }
#elif defined(__AVX__)
      if (cols == NR) {
        pDone = kc - kc % 8;
        for (int h = 0; h < NR; h += 8) {
          const float* src = g.b + static_cast<size_t>(j0 + jr + h) * g.k + p0;
          for (int p = 0; p < pDone; p += 8) {
            __m256 r[8];
            for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + static_cast<size_t>(i) * g.k + p);
            transpose8x8(r);
            for (int q = 0; q < 8; q++) _mm256_storeu_ps(dst + (p + q) * NR + h, r[q]);
          }
        }
      }
#endif
      for (int j = 0; j < cols; j++) {
        const float* src = g.b + static_cast<size_t>(j0 + jr + j) * g.k + p0;
        for (int p = pDone; p < kc; p++) dst[p * NR + j] = src[p];
      }
      for (int j = cols; j < NR; j++) {
        for (int p = 0; p < kc; p++) dst[p * NR + j] = 0.0f;
      }
    }
  }
}

// C[0:mr, 0:nr] (=|+=) Σ_p pa[p][i]·pb[p][j] over one KC slice.
inline void microKernel(int kc, const float* __restrict pa, const float* __restrict pb, float* __restrict c,
                        size_t ldc, int mr, int nr, bool overwrite) {
  vf acc[MR][NRV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) {
#pragma GCC unroll 4
    for (int v = 0; v < NRV; v++) acc[i][v] = vzero();
  }
  auto step = [&](int p) {
    vf bv[NRV];
#pragma GCC unroll 4
    for (int v = 0; v < NRV; v++) bv[v] = vload(pb + p * NR + v * kVL);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      const vf av = vbroadcast(pa[p * MR + i]);
#pragma GCC unroll 4
      for (int v = 0; v < NRV; v++) acc[i][v] = vfma(av, bv[v], acc[i][v]);
    }
  };
  // With a power-of-two ldc the MR rows of the C tile share an L1 set and are evicted while A and B
  // stream through, so the tile is fetched again near the end of the slice, off the critical path.
  const int pPrefetch = std::max(0, kc - kPrefetchC);
  for (int p = 0; p < pPrefetch; p++) step(p);
  if (mr == MR && nr == NR) {
    for (int i = 0; i < MR; i++) {
      for (int v = 0; v < NRV; v++) __builtin_prefetch(c + i * ldc + v * kVL, 1, 3);
    }
  }
  for (int p = pPrefetch; p < kc; p++) step(p);
  if (mr == MR && nr == NR) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
#pragma GCC unroll 4
      for (int v = 0; v < NRV; v++) {
        float* cp = c + i * ldc + v * kVL;
        vstore(cp, overwrite ? acc[i][v] : vload(cp) + acc[i][v]);
      }
    }
    return;
  }
  alignas(64) float tile[MR * NR];
  for (int i = 0; i < MR; i++) {
    for (int v = 0; v < NRV; v++) vstore(tile + i * NR + v * kVL, acc[i][v]);
  }
  for (int i = 0; i < mr; i++) {
    float* cr = c + i * ldc;
    for (int j = 0; j < nr; j++) cr[j] = overwrite ? tile[i * NR + j] : cr[j] + tile[i * NR + j];
  }
}

struct Scratch {
  AlignedBuffer a, b;
};

thread_local Scratch t_scratch;

// Computes the block C[i0:i1, j0:j1]; the KC slicing is global (p = 0, KC, 2·KC, ...).
bool gemmBlock(const Problem& g, int i0, int i1, int j0, int j1) {
  float* pa = t_scratch.a.get(static_cast<size_t>(MC) * KC);
  float* pb = t_scratch.b.get(static_cast<size_t>(std::min(NC, ((j1 - j0 + NR - 1) / NR) * NR)) * KC);
  if (!pa || !pb) return false;
  for (int jc = j0; jc < j1; jc += NC) {
    const int nc = std::min(NC, j1 - jc);
    for (int pc = 0; pc < g.k; pc += KC) {
      const int kc = std::min(KC, g.k - pc);
      const bool overwrite = pc == 0 && !g.accumulate;
      packB(g, jc, nc, pc, kc, pb);
      for (int ic = i0; ic < i1; ic += MC) {
        const int mc = std::min(MC, i1 - ic);
        packA(g, ic, mc, pc, kc, pa);
        for (int jr = 0; jr < nc; jr += NR) {
          const float* pbr = pb + static_cast<size_t>(jr) * kc;
          const int nr = std::min(NR, nc - jr);
          for (int ir = 0; ir < mc; ir += MR) {
            float* cp = g.c + static_cast<size_t>(ic + ir) * g.n + jc + jr;
            microKernel(kc, pa + static_cast<size_t>(ir) * kc, pbr, cp, g.n, std::min(MR, mc - ir), nr, overwrite);
          }
        }
      }
    }
  }
  return true;
}

// Few rows of C (token-at-a-time inference): packing B would cost as much as the product, so these
// paths stream B once, unpacked. Chunks are column ranges of C.
constexpr int kSmallM = 4;

// C[0:M, j0:j1] (=|+=) op(A)·Bᵀ with B stored [n,k] and op(A) given as M contiguous rows of k.
template <int M>
void smallDot(const float* __restrict rowsA, const Problem& g, int j0, int j1) {
  const int k = g.k, kFull = k - k % kVL;
  auto store = [&](int i, int j, float v) {
    float& c = g.c[static_cast<size_t>(i) * g.n + j];
    c = g.accumulate ? c + v : v;
  };
  int j = j0;
  for (; j + 4 <= j1; j += 4) {  // four columns at once: 4·M independent FMA chains
    vf acc[4][M];
    for (int u = 0; u < 4; u++) {
      for (int i = 0; i < M; i++) acc[u][i] = vzero();
    }
    const float* bj = g.b + static_cast<size_t>(j) * k;
    for (int p = 0; p < kFull; p += kVL) {
      vf av[M];
      for (int i = 0; i < M; i++) av[i] = vload(rowsA + static_cast<size_t>(i) * k + p);
#pragma GCC unroll 4
      for (int u = 0; u < 4; u++) {
        const vf bv = vload(bj + static_cast<size_t>(u) * k + p);
        for (int i = 0; i < M; i++) acc[u][i] = vfma(av[i], bv, acc[u][i]);
      }
    }
    for (int u = 0; u < 4; u++) {
      for (int i = 0; i < M; i++) {
        float s = vsum(acc[u][i]);
        for (int p = kFull; p < k; p++) s = fmaScalar(rowsA[static_cast<size_t>(i) * k + p], bj[static_cast<size_t>(u) * k + p], s);
        store(i, j + u, s);
      }
    }
  }
  for (; j < j1; j++) {
    const float* bj = g.b + static_cast<size_t>(j) * k;
    for (int i = 0; i < M; i++) {
      vf acc = vzero();
      for (int p = 0; p < kFull; p += kVL) acc = vfma(vload(rowsA + static_cast<size_t>(i) * k + p), vload(bj + p), acc);
      float s = vsum(acc);
      for (int p = kFull; p < k; p++) s = fmaScalar(rowsA[static_cast<size_t>(i) * k + p], bj[p], s);
      store(i, j, s);
    }
  }
}

// C[0:M, j0:j1] (=|+=) Σ_p op(A)[:, p] ⊗ B[p, j0:j1] with B stored [k,n]: axpy rows of B into C,
// a column chunk at a time so that the chunk of C stays in L1.
template <int M>
void smallAxpy(const Problem& g, int j0, int j1) {
  constexpr int kChunk = 1024;
  for (int c0 = j0; c0 < j1; c0 += kChunk) {
    const int c1 = std::min(j1, c0 + kChunk), w = c1 - c0, wv = w - w % kVL;
    if (!g.accumulate) {
      for (int i = 0; i < M; i++) std::fill(g.c + static_cast<size_t>(i) * g.n + c0, g.c + static_cast<size_t>(i) * g.n + c1, 0.0f);
    }
    for (int p = 0; p < g.k; p++) {
      const float* bp = g.b + static_cast<size_t>(p) * g.n + c0;
      for (int i = 0; i < M; i++) {
        const float av = g.ta ? g.a[static_cast<size_t>(p) * g.m + i] : g.a[static_cast<size_t>(i) * g.k + p];
        float* ci = g.c + static_cast<size_t>(i) * g.n + c0;
        const vf avv = vbroadcast(av);
        for (int j = 0; j < wv; j += kVL) vstore(ci + j, vfma(avv, vload(bp + j), vload(ci + j)));
        for (int j = wv; j < w; j++) ci[j] = fmaScalar(av, bp[j], ci[j]);
      }
    }
  }
}

template <int M>
void smallM(const Problem& g, const float* rowsA, int j0, int j1) {
  if (g.tb) {
    smallDot<M>(rowsA, g, j0, j1);
  } else {
    smallAxpy<M>(g, j0, j1);
  }
}

bool gemmSmallM(const Problem& g) {
  // op(A) as contiguous rows, for the dot-product form (B stored [n,k]).
  const float* rowsA = g.a;
  std::vector<float> copy;
  if (g.tb && g.ta) {
    copy.resize(static_cast<size_t>(g.m) * g.k);
    for (int p = 0; p < g.k; p++) {
      for (int i = 0; i < g.m; i++) copy[static_cast<size_t>(i) * g.k + p] = g.a[static_cast<size_t>(p) * g.m + i];
    }
    rowsA = copy.data();
  }
  // Chunks of 256 columns: enough of them to balance, each long enough to stream B efficiently.
  constexpr int kChunkCols = 256;
  const int chunks = (g.n + kChunkCols - 1) / kChunkCols;
  const bool parallel = 2.0 * g.m * g.n * g.k >= kParallelFlops;
  parallelFor(chunks, parallel ? threadCount() : 1, [&](int chunk) {
    const int j0 = chunk * kChunkCols, j1 = std::min(g.n, j0 + kChunkCols);
    switch (g.m) {
      case 1:
        return smallM<1>(g, rowsA, j0, j1);
      case 2:
        return smallM<2>(g, rowsA, j0, j1);
      case 3:
        return smallM<3>(g, rowsA, j0, j1);
      default:
        return smallM<4>(g, rowsA, j0, j1);
    }
  });
  return true;
}

}  // namespace

bool gemm(bool transA, bool transB, int m, int n, int k, const float* a, const float* b, float* c, bool accumulate) {
  if (m == 0 || n == 0) return true;
  if (k == 0) {
    if (!accumulate) std::fill(c, c + static_cast<size_t>(m) * n, 0.0f);
    return true;
  }
  const Problem g{transA, transB, m, n, k, a, b, c, accumulate};
  if (m <= kSmallM) return gemmSmallM(g);
  // Chunks of whole micro-tiles along the longer side of C, at least one cache block each so that
  // re-packing the other operand per chunk stays negligible, and about four per thread.
  const bool parallel = 2.0 * m * n * k >= kParallelFlops;
  const int threads = parallel ? threadCount() : 1;
  const bool splitCols = n >= m;
  const int tile = splitCols ? NR : MR;
  const int units = ((splitCols ? n : m) + tile - 1) / tile;
  const int minUnits = splitCols ? 256 / NR : MC / MR;
  const int perChunk = threads == 1 ? units : std::max(minUnits, (units + 4 * threads - 1) / (4 * threads));
  const int chunks = (units + perChunk - 1) / perChunk;
  std::atomic<bool> ok{true};
  parallelFor(chunks, threads, [&](int chunk) {
    const int u0 = chunk * perChunk, u1 = std::min(units, u0 + perChunk);
    const bool done = splitCols ? gemmBlock(g, 0, m, u0 * NR, std::min(n, u1 * NR))
                                : gemmBlock(g, u0 * MR, std::min(m, u1 * MR), 0, n);
    if (!done) ok.store(false);
  });
  return ok.load();
}

}  // namespace csp
