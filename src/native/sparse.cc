// Sparse × dense kernels for weight-sparse linear layers. All three work on blocks of MB tokens held
// "token-minor" (T[feature][token], see token_layout.h): a nonzero weight then multiplies a whole
// contiguous vector of tokens, so the inner loop is one broadcast, one load and one FMA per vector
// instead of a scalar gather. Per block:
//   forward  Y = X·Wᵀ  : Yᵀ[r] = Σ_{p in row r} w_p · Xᵀ[col p]              (gather, CSR of W)
//   backward DX = DY·W : DXᵀ[c] = Σ_{p in col c} w_p · DYᵀ[row p]           (gather, CSR of Wᵀ)
//   SDDMM    out[p]   += ⟨DYᵀ[r], Xᵀ[c]⟩ over the block's tokens
// Work is handed out in chunks that own whole outputs — token blocks, or row ranges of the output
// when there are too few blocks (and always for SDDMM, whose outputs sum over every token) — so no
// output is ever summed by two threads and results do not depend on the thread count.
#include "sparse.h"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <vector>

#include "simd.h"
#include "thread_pool.h"
#include "token_layout.h"

namespace csp {
namespace {

// Below this much work one thread is faster than waking another.
constexpr double kParallelWork = 1e6;

// How many vectors of tokens a block holds, from the width of the operand whose token-minor copy is
// read at random (one row per nonzero): that copy should stay within `budgetBytes`. The spmm kernels
// do one FMA per vector per nonzero and want that copy in L2; SDDMM pays a horizontal reduction per
// nonzero and block, so it prefers longer blocks even if the copy spills to L3 (measured on Zen 5:
// 512 KiB and 2 MiB are the best budgets for the two).
constexpr size_t kSpmmBlockBytes = 512 * 1024;
constexpr size_t kSddmmBlockBytes = 2048 * 1024;

int vectorsPerBlock(int m, int width, size_t budgetBytes) {
  const size_t perVector = static_cast<size_t>(std::max(width, 1)) * kVL * sizeof(float);
  const size_t fit = budgetBytes / perVector;
  const int needed = (m + kVL - 1) / kVL;  // no point in blocks longer than the batch
  if (fit >= 4 && needed > 2) return 4;
  if (fit >= 2 && needed > 1) return 2;
  return 1;
}

// With this few tokens, building Wᵀ costs spmmNN more than the product itself: it scatters instead.
constexpr int kDirectTokens = 4;

// outT[(r - r0)·MB ..] = Σ_{p in row r} val[p] · inT[idx[p]·MB ..] for r in [r0, r1).
// U independent accumulator chains hide the FMA latency; chain u takes the nonzeros p ≡ u (mod U)
// counted from the row start, and the chains are combined in a fixed tree. Each token is its own
// lane, so a token's result depends on U alone: not on how many tokens a block holds (MB), nor on
// how many of the NV vectors are done per walk over the row's nonzeros (G).
template <int NV, int U>
void gatherRows(int r0, int r1, const CsrView& a, const float* __restrict inT, float* __restrict outT,
                const float* bias) {
  constexpr int MB = NV * kVL;
  constexpr int G = kRegisterBytes == 64 ? NV : (NV < 2 ? NV : 2);  // U·G accumulators stay in registers
  for (int r = r0; r < r1; r++) {
    float* o = outT + static_cast<size_t>(r - r0) * MB;
    const int begin = a.ptr[r], end = a.ptr[r + 1];
    for (int g = 0; g < NV; g += G) {
      vf acc[U][G];
      for (int u = 0; u < U; u++) {
        for (int v = 0; v < G; v++) acc[u][v] = vzero();
      }
      int p = begin;
      for (; p + U <= end; p += U) {
#pragma GCC unroll 4
        for (int u = 0; u < U; u++) {
          const float* xr = inT + static_cast<size_t>(a.idx[p + u]) * MB + g * kVL;
          const vf w = vbroadcast(a.val[p + u]);
#pragma GCC unroll 4
          for (int v = 0; v < G; v++) acc[u][v] = vfma(w, vload(xr + v * kVL), acc[u][v]);
        }
      }
      for (int u = 0; p < end; p++, u++) {
        const float* xr = inT + static_cast<size_t>(a.idx[p]) * MB + g * kVL;
        const vf w = vbroadcast(a.val[p]);
        for (int v = 0; v < G; v++) acc[u][v] = vfma(w, vload(xr + v * kVL), acc[u][v]);
      }
      for (int width = U / 2; width > 0; width /= 2) {
        for (int u = 0; u < width; u++) {
          for (int v = 0; v < G; v++) acc[u][v] += acc[u + width][v];
        }
      }
      // The bias joins after the sum: fl(Σ + b), the same value as adding Σ to a bias-filled output.
      if (bias) {
        const vf b = vbroadcast(bias[r]);
        for (int v = 0; v < G; v++) acc[0][v] += b;
      }
      for (int v = 0; v < G; v++) vstore(o + (g + v) * kVL, acc[0][v]);
    }
  }
}

// Splits rows [0, rows) into `parts` ranges of about equal cost (nonzeros plus one per row).
void balancedRows(const CsrView& a, int part, int parts, int& r0, int& r1) {
  const int64_t base = a.ptr[0];
  const int64_t total = static_cast<int64_t>(a.ptr[a.rows]) - base + a.rows;
  auto boundary = [&](int t) {
    if (t <= 0) return 0;
    if (t >= parts) return a.rows;
    const int64_t target = total * t / parts;
    int lo = 0, hi = a.rows;  // first r with cost(r) >= target
    while (lo < hi) {
      const int mid = lo + (hi - lo) / 2;
      if (static_cast<int64_t>(a.ptr[mid]) - base + mid < target) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  };
  r0 = boundary(part);
  r1 = boundary(part + 1);
}

thread_local AlignedBuffer t_in, t_out, t_shared;

// out[m, a.rows] = in[m, a.cols]·aᵀ (+ out): the shared body of both spmm directions.
template <int NV, int U>
bool sparseTimesDenseT(int m, const float* in, const CsrView& a, float* out, bool accumulate, const float* bias) {
  constexpr int MB = NV * kVL;
  constexpr int kOutChunk = std::max(8, 8192 / MB);  // 32 KiB of output at a time
  const int blocks = (m + MB - 1) / MB;
  const double nnz = static_cast<double>(a.ptr[a.rows]) - a.ptr[0];
  const double work = 2.0 * m * nnz + static_cast<double>(m) * (a.rows + a.cols);
  const int threads = work < kParallelWork ? 1 : threadCount();
  // A chunk is one token block, or — when there are too few blocks to go round — one of `threads`
  // row ranges of equal cost over all blocks (each of those packs the input blocks itself).
  const bool byBlocks = blocks >= 2 * threads;
  std::atomic<bool> ok{true};
  parallelFor(byBlocks ? blocks : threads, threads, [&](int chunk) {
    int b0 = 0, b1 = blocks, r0 = 0, r1 = a.rows;
    if (byBlocks) {
      b0 = chunk;
      b1 = chunk + 1;
    } else {
      balancedRows(a, chunk, threads, r0, r1);
    }
    if (r0 == r1) return;
    float* inT = t_in.get(static_cast<size_t>(a.cols) * MB);
    float* outT = t_out.get(static_cast<size_t>(kOutChunk) * MB);
    if (!inT || !outT) {
      ok.store(false);
      return;
    }
    for (int b = b0; b < b1; b++) {
      const int t0 = b * MB;
      const int nt = std::min(MB, m - t0);
      packTokenMinor(in + static_cast<size_t>(t0) * a.cols, a.cols, nt, 0, a.cols, MB, inT);
      // Output rows go out in chunks whose token-minor copy stays in L1 until it is unpacked.
      for (int rc = r0; rc < r1; rc += kOutChunk) {
        const int re = std::min(r1, rc + kOutChunk);
        gatherRows<NV, U>(rc, re, a, inT, outT, bias);
        unpackTokenMinor(outT, MB, nt, out + static_cast<size_t>(t0) * a.rows, a.rows, rc, re, accumulate);
      }
    }
  });
  return ok.load();
}

bool sparseTimesDense(int m, const float* in, const CsrView& a, float* out, bool accumulate,
                      const float* bias = nullptr) {
  if (m == 0 || a.rows == 0) return true;
  // The chain count follows the block an AVX-512 build uses (U·NV chains of 16 tokens: 4 to 8);
  // builds with narrower registers take shorter blocks (the same bytes of registers and of cache
  // as on AVX2 before the width was fixed) and still U chains, so every token sums alike.
  const int logical = vectorsPerBlock(m, a.cols, kSpmmBlockBytes);
  const int physical = kRegisterBytes == 64 ? logical : std::min(logical, vectorsPerBlock(m, a.cols, kSpmmBlockBytes / 2));
  if (logical == 1) return sparseTimesDenseT<1, 4>(m, in, a, out, accumulate, bias);
  switch (physical) {
    case 4:
      return sparseTimesDenseT<4, 2>(m, in, a, out, accumulate, bias);
    case 2:
      return sparseTimesDenseT<2, 2>(m, in, a, out, accumulate, bias);
    default:
      return sparseTimesDenseT<1, 2>(m, in, a, out, accumulate, bias);
  }
}

// out[p] (=|+=) ⟨dyT[r - r0], xT[idx[p]]⟩ for the nonzeros of rows [r0, r1). Walks the nonzeros
// in storage order across row boundaries, so that kBatchSums consecutive dot products (16 on AVX-512,
// 8 on AVX2) can share one transposing reduction and one vector update of out. Every dot product is
// reduced in vsum's tree either way, so where the groups start, and how large they are, changes nothing.
template <int NV>
void dotRows(int r0, int r1, const CsrView& a, const float* __restrict dyT, const float* __restrict xT,
             float* __restrict out, bool first) {
  constexpr int MB = NV * kVL;
  int p = a.ptr[r0];
  const int end = a.ptr[r1];
  if (p == end) return;
  const int32_t* __restrict ptr = a.ptr;
  const int32_t* __restrict idx = a.idx;
  int r = r0;
  while (ptr[r + 1] <= p) r++;
  int rowEnd = ptr[r + 1];
  vf d[NV];
  auto loadRow = [&] {
    for (int v = 0; v < NV; v++) d[v] = vload(dyT + static_cast<size_t>(r - r0) * MB + v * kVL);
  };
  auto dot = [&](int q) {
    if (q >= rowEnd) {
      do r++;
      while (q >= ptr[r + 1]);
      rowEnd = ptr[r + 1];
      loadRow();
    }
    const float* xr = xT + static_cast<size_t>(idx[q]) * MB;
    vf s;
    if constexpr (NV == 1) {
      s = d[0] * vload(xr);
    } else {
      // (d0·x0 + d1·x1) as one product rounded and one fused, then the others fused in order.
      s = vfma(d[0], vload(xr), d[1] * vload(xr + kVL));
#pragma GCC unroll 8
      for (int v = 2; v < NV; v++) s = vfma(d[v], vload(xr + v * kVL), s);
    }
    return s;
  };
  loadRow();
#if defined(CSP_BATCHED_SUMS)
  for (; p + kBatchSums <= end; p += kBatchSums) {
    vf s[kBatchSums];
#pragma GCC unroll 16
    for (int g = 0; g < kBatchSums; g++) s[g] = dot(p + g);
    const SumBatch sums = vsumBatch(s);
    SumBatch o;
    std::memcpy(&o, out + p, sizeof o);
    o = first ? sums : o + sums;
    std::memcpy(out + p, &o, sizeof o);
  }
#endif
  for (; p < end; p++) {
    const float v = vsum(dot(p));
    out[p] = first ? v : out[p] + v;
  }
}

template <int NV>
bool sddmmT(int m, const float* dy, const float* x, const CsrView& a, float* out) {
  constexpr int MB = NV * kVL;
  constexpr int kPackCols = 512;  // columns of X per packing chunk
  const int blocks = (m + MB - 1) / MB;
  const double nnz = static_cast<double>(a.ptr[a.rows]) - a.ptr[0];
  const double work = 2.0 * m * nnz + static_cast<double>(m) * (a.rows + a.cols);
  const int threads = work < kParallelWork ? 1 : threadCount();
  // Every output sums over all tokens, so the dot products are split by rows of the pattern, never
  // by tokens. Per token block, the threads first pack X's block together (split by columns), then
  // take row ranges, each packing only its own rows of DY; several ranges per thread keep the
  // threads busy when one of them runs slow.
  const int packChunks = (a.cols + kPackCols - 1) / kPackCols;
  const int rowChunks = threads == 1 ? 1 : 4 * threads;
  float* xT = t_shared.get(static_cast<size_t>(a.cols) * MB);
  if (!xT) return false;
  std::atomic<bool> ok{true};
  for (int b = 0; b < blocks && ok.load(); b++) {
    const int t0 = b * MB;
    const int nt = std::min(MB, m - t0);
    parallelFor(packChunks, threads, [&](int chunk) {
      const int c0 = chunk * kPackCols, c1 = std::min(a.cols, c0 + kPackCols);
      packTokenMinor(x + static_cast<size_t>(t0) * a.cols, a.cols, nt, c0, c1, MB, xT + static_cast<size_t>(c0) * MB);
    });
    parallelFor(rowChunks, threads, [&](int chunk) {
      int r0, r1;
      balancedRows(a, chunk, rowChunks, r0, r1);
      if (r0 == r1) return;
      float* dyT = t_out.get(static_cast<size_t>(r1 - r0) * MB);
      if (!dyT) {
        ok.store(false);
        return;
      }
      packTokenMinor(dy + static_cast<size_t>(t0) * a.rows, a.rows, nt, r0, r1, MB, dyT);
      dotRows<NV>(r0, r1, a, dyT, xT, out, b == 0);
    });
  }
  return ok.load();
}

// The few-token path of spmmNN. Each output is still owned by one thread and summed in a fixed order.
double directWork(int m, const CsrView& a) { return 2.0 * m * (static_cast<double>(a.ptr[a.rows]) - a.ptr[0]); }

void spmmNNDirect(int m, const float* dy, const CsrView& w, float* dx, bool accumulate) {
  // Scatter: a chunk is one token (one output row); it walks W in storage order.
  parallelFor(m, directWork(m, w) < kParallelWork ? 1 : threadCount(), [&](int i) {
    const float* g = dy + static_cast<size_t>(i) * w.rows;
    float* d = dx + static_cast<size_t>(i) * w.cols;
    if (!accumulate) std::fill(d, d + w.cols, 0.0f);
    for (int r = 0; r < w.rows; r++) {
      const float gr = g[r];
      for (int32_t p = w.ptr[r]; p < w.ptr[r + 1]; p++) d[w.idx[p]] = fmaScalar(gr, w.val[p], d[w.idx[p]]);
    }
  });
}

thread_local std::vector<int32_t> t_colPtr, t_rowIdx, t_cursor;
thread_local std::vector<float> t_colVal;

}  // namespace

namespace {

constexpr int64_t kScanChunk = 1 << 16;  // entries per parallel chunk of a scan over a dense matrix

}  // namespace

int64_t countNonzeros(const float* dense, int64_t size) {
  const int chunks = static_cast<int>((size + kScanChunk - 1) / kScanChunk);
  std::vector<int64_t> counts(static_cast<size_t>(std::max(chunks, 1)), 0);
  parallelFor(chunks, chunks > 1 ? threadCount() : 1, [&](int chunk) {
    const int64_t b = chunk * kScanChunk, e = std::min(size, b + kScanChunk);
    int64_t n = 0, i = b;
    for (; i + kVL <= e; i += kVL) n += __builtin_popcount(nonzeroLaneBits(dense + i));
    for (; i < e; i++) n += dense[i] != 0.0f;
    counts[chunk] = n;
  });
  int64_t total = 0;
  for (int64_t c : counts) total += c;
  return total;
}

int64_t denseToCsr(const float* dense, int rows, int cols, int32_t* rowPtr, int32_t* colIdx, float* values,
                   int64_t capacity) {
  // Row ranges in parallel, each appending its nonzeros to buffers of its own and storing its rows'
  // counts in rowPtr[r + 1]; then the counts become offsets and the buffers are copied into place.
  // The output is the same whatever the ranges: rows in order, columns ascending. The caller sizes
  // colIdx/values from a count it already has; the copy happens only if that count was right.
  const int64_t n = static_cast<int64_t>(rows) * cols;
  const int chunks = static_cast<int>(std::min<int64_t>(rows, std::max<int64_t>(1, n / kScanChunk)));
  std::vector<std::vector<int32_t>> chunkIdx(static_cast<size_t>(std::max(chunks, 1)));
  std::vector<std::vector<float>> chunkVal(chunkIdx.size());
  auto rowBegin = [&](int chunk) { return static_cast<int>(static_cast<int64_t>(rows) * chunk / chunks); };
  parallelFor(chunks, chunks > 1 ? threadCount() : 1, [&](int chunk) {
    std::vector<int32_t>& idx = chunkIdx[chunk];
    std::vector<float>& val = chunkVal[chunk];
    for (int r = rowBegin(chunk); r < rowBegin(chunk + 1); r++) {
      const float* row = dense + static_cast<int64_t>(r) * cols;
      const size_t before = idx.size();
      forEachNonzero(row, cols, [&](int c) {
        idx.push_back(c);
        val.push_back(row[c]);
      });
      rowPtr[r + 1] = static_cast<int32_t>(idx.size() - before);
    }
  });
  int64_t nonzeros = 0;
  for (const std::vector<int32_t>& idx : chunkIdx) nonzeros += static_cast<int64_t>(idx.size());
  if (nonzeros != capacity) return nonzeros;
  rowPtr[0] = 0;
  for (int r = 0; r < rows; r++) rowPtr[r + 1] += rowPtr[r];
  for (int chunk = 0; chunk < chunks; chunk++) {
    const int32_t at = rowPtr[rowBegin(chunk)];
    std::memcpy(colIdx + at, chunkIdx[chunk].data(), chunkIdx[chunk].size() * sizeof(int32_t));
    std::memcpy(values + at, chunkVal[chunk].data(), chunkVal[chunk].size() * sizeof(float));
  }
  return nonzeros;
}

bool spmmNT(int m, const float* x, const CsrView& w, float* y, bool accumulate, const float* bias) {
  return sparseTimesDense(m, x, w, y, accumulate, bias);
}

bool spmmNN(int m, const float* dy, const CsrView& w, float* dx, bool accumulate) {
  if (m == 0 || w.cols == 0) return true;
  if (m <= kDirectTokens) {
    spmmNNDirect(m, dy, w, dx, accumulate);
    return true;
  }
  // DX = DY·W is the forward kernel applied to Wᵀ; build Wᵀ's CSR (W's CSC) by a counting sort.
  // Rows are visited in order, so each column's entries stay sorted by row.
  const int32_t first = w.ptr[0], last = w.ptr[w.rows];
  t_colPtr.assign(static_cast<size_t>(w.cols) + 1, 0);
  t_rowIdx.resize(static_cast<size_t>(last - first));
  t_colVal.resize(static_cast<size_t>(last - first));
  for (int32_t p = first; p < last; p++) t_colPtr[w.idx[p] + 1]++;
  for (int c = 0; c < w.cols; c++) t_colPtr[c + 1] += t_colPtr[c];
  t_cursor.assign(t_colPtr.begin(), t_colPtr.end() - 1);
  for (int r = 0; r < w.rows; r++) {
    for (int32_t p = w.ptr[r]; p < w.ptr[r + 1]; p++) {
      const int32_t q = t_cursor[w.idx[p]]++;
      t_rowIdx[q] = r;
      t_colVal[q] = w.val[p];
    }
  }
  const CsrView wt{w.cols, w.rows, t_colPtr.data(), t_rowIdx.data(), t_colVal.data()};
  return sparseTimesDense(m, dy, wt, dx, accumulate);
}

bool sddmm(int m, const float* dy, const float* x, const CsrView& pattern, float* out) {
  const int32_t first = pattern.ptr[0], last = pattern.ptr[pattern.rows];
  if (m == 0) {
    std::fill(out + first, out + last, 0.0f);
    return true;
  }
  if (first == last) return true;
  switch (vectorsPerBlock(m, pattern.cols, kSddmmBlockBytes)) {
    case 4:
      return sddmmT<4>(m, dy, x, pattern, out);
    case 2:
      return sddmmT<2>(m, dy, x, pattern, out);
    default:
      return sddmmT<1>(m, dy, x, pattern, out);
  }
}

}  // namespace csp
