// Causal softmax attention with an optional sink, in float32 and vectorised across keys.
//
// Per (batch, head) pair, the head's K and V are first packed transposed ([dHead, tp], tp = t rounded
// up to the vector width, zero padded), so scores, exps and probability-weighted sums all run over
// kVL keys at once and no key tail ever needs scalar code: padding and the keys after the diagonal
// get probability exactly 0 (they are multiplied, not skipped, so a non-finite value in v or k of a
// later key inside the same kVL-key block can turn an earlier row into NaN, where the TypeScript
// oracle would skip it; finite inputs give the same causal results). Query rows go in blocks of
// kRowsForward / kRowsBackward rows that share every K (or V) load and run side by side through
// the softmax passes. One thread computes a whole pair in a fixed order, so results never depend
// on the thread count.
#include "attention.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "simd.h"
#include "thread_pool.h"

namespace csp {
namespace {

// Query rows per block in the forward and the backward: that many accumulators (twice that in the
// backward's outer products) plus a few vectors stay in registers. A block never straddles a key
// block, so all its rows need the same key blocks. Rows are computed independently, so the block
// size (which follows the build's register file) does not change any result.
#if defined(__AVX512F__)
constexpr int kRowsForward = 8;
constexpr int kRowsBackward = 8;
#else
constexpr int kRowsForward = 4;
constexpr int kRowsBackward = 4;
#endif
static_assert(kVL % kRowsForward == 0 && kVL % kRowsBackward == 0, "a row block must never straddle a key block");
// Below this many multiply-adds one thread is faster than waking another.
constexpr double kParallelFlops = 2e6;
// Channels summed at once by weightedRow (its accumulators must fit the register file; each
// channel is its own sum, so this does not change any result either).
constexpr int kChannelChunk = kRegisterBytes == 64 ? 16 : 4;

inline int roundUp(int x, int m) { return (x + m - 1) / m * m; }

// The smallest argument whose exp is computed; below it (results under FLT_MIN, and the -inf of a
// masked key) the exp is exactly 0, which is what keeps masked keys out of every sum.
constexpr float kExpFloor = -87.5f;

// e^x for x ≤ 0 (softmax arguments after subtracting the row maximum), Cephes' expf: x = n·ln2 + r
// with |r| ≤ ln2/2, e^r by a degree-7 polynomial and 2^n from exponent bits. Within 1.01 ulp of the
// exact e^x for every float in [-87.3, 0] (checked exhaustively when it was written; the attention
// tests check it through the kernel); exactly 0 below kExpFloor; NaN stays NaN.
inline vf expNonPositive(vf x) {
  const vf floor = vbroadcast(kExpFloor);
  const vf xc = vselect(x < floor, floor, x);
  const ExpParts<vf, vi> e = expParts<vi>(xc);
  const vf result = e.mantissa * vfromBits((e.n + 127) << 23);
  return vselect(x < floor, vzero(), result);
}

// dst[i·dh + c] = src[i·ld + c]·mul for i < t, zero for t ≤ i < rows.
void packRows(const float* src, int64_t ld, int t, int dh, int rows, float mul, float* dst) {
  for (int i = 0; i < t; i++) {
    for (int c = 0; c < dh; c++) dst[static_cast<size_t>(i) * dh + c] = src[i * ld + c] * mul;
  }
  std::fill(dst + static_cast<size_t>(t) * dh, dst + static_cast<size_t>(rows) * dh, 0.0f);
}

// dst[c·tp + j] = src[j·ld + c] for j < t, zero for t ≤ j < tp.
void packTransposed(const float* src, int64_t ld, int t, int dh, int tp, float* dst) {
#if defined(CSP_TRANSPOSE16)
  if (dh == 16) {
    for (int j0 = 0; j0 < tp; j0 += 16) {
      vf r[16];
      for (int jj = 0; jj < 16; jj++) r[jj] = j0 + jj < t ? vload(src + (j0 + jj) * ld) : vzero();
      transpose16x16(r);
      for (int c = 0; c < 16; c++) vstore(dst + static_cast<size_t>(c) * tp + j0, r[c]);
    }
    return;
  }
#elif defined(__AVX__)
  if (dh % 8 == 0) {
    // Tiles of 8 keys × 8 channels, transposed in registers: each key's channels are read as whole
    // vectors (one cache line per key and head) instead of one float at a time down a column.
    for (int j0 = 0; j0 < tp; j0 += 8) {
      for (int c0 = 0; c0 < dh; c0 += 8) {
        __m256 r[8];
        for (int jj = 0; jj < 8; jj++)
          r[jj] = j0 + jj < t ? _mm256_loadu_ps(src + (j0 + jj) * ld + c0) : _mm256_setzero_ps();
        transpose8x8(r);
        for (int c = 0; c < 8; c++) _mm256_storeu_ps(dst + static_cast<size_t>(c0 + c) * tp + j0, r[c]);
      }
    }
    return;
  }
#endif
  for (int c = 0; c < dh; c++) {
    float* d = dst + static_cast<size_t>(c) * tp;
    for (int j = 0; j < t; j++) d[j] = src[j * ld + c];
    std::fill(d + t, d + tp, 0.0f);
  }
}

// dst[j·ld + c] = src[c·tp + j] for j < t: the inverse of packTransposed.
void unpackTransposed(const float* src, int tp, int t, int dh, float* dst, int64_t ld) {
#if defined(CSP_TRANSPOSE16)
  if (dh == 16) {
    for (int j0 = 0; j0 < t; j0 += 16) {
      vf r[16];
      for (int c = 0; c < 16; c++) r[c] = vload(src + static_cast<size_t>(c) * tp + j0);
      transpose16x16(r);
      for (int jj = 0; jj < 16 && j0 + jj < t; jj++) vstore(dst + (j0 + jj) * ld, r[jj]);
    }
    return;
  }
#elif defined(__AVX__)
  if (dh % 8 == 0) {
    for (int j0 = 0; j0 < t; j0 += 8) {
      for (int c0 = 0; c0 < dh; c0 += 8) {
        __m256 r[8];
        for (int c = 0; c < 8; c++) r[c] = _mm256_loadu_ps(src + static_cast<size_t>(c0 + c) * tp + j0);
        transpose8x8(r);
        for (int jj = 0; jj < 8 && j0 + jj < t; jj++) _mm256_storeu_ps(dst + (j0 + jj) * ld + c0, r[jj]);
      }
    }
    return;
  }
#endif
  for (int j = 0; j < t; j++) {
    for (int c = 0; c < dh; c++) dst[j * ld + c] = src[static_cast<size_t>(c) * tp + j];
  }
}

// out[r·tp + j] = Σ_c a[r·dh + c]·bt[c·tp + j] for r < R and j < nb·kVL: scores q·k (forward)
// or dp = dy·v (backward) of a row block against the transposed keys or values.
template <int DH, int R>
inline void rowsTimesTransposed(const float* a, int dhRuntime, const float* bt, int tp, int nb, float* out) {
  const int dh = DH ? DH : dhRuntime;
  for (int jb = 0; jb < nb; jb++) {
    const float* col = bt + jb * kVL;
    vf acc[R] = {};
#pragma GCC unroll 16
    for (int c = 0; c < dh; c++) {
      const vf kv = vload(col + static_cast<size_t>(c) * tp);
      for (int r = 0; r < R; r++) acc[r] = vfma(vbroadcast(a[r * dh + c]), kv, acc[r]);
    }
    for (int r = 0; r < R; r++) vstore(out + r * tp + jb * kVL, acc[r]);
  }
}

// out[c] = mul·Σ_j w[j]·mt[c·tp + j] over j < nb·kVL, for c < dh: one row of w·M with M stored
// transposed (p·V in the forward, ds·K in the backward).
template <int DH>
inline void weightedRow(const float* w, int nb, const float* mt, int tp, int dhRuntime, float mul, float* out) {
  const int dh = DH ? DH : dhRuntime;
#if defined(CSP_TRANSPOSE16)
  if (dh % 16 == 0) {
    // Sixteen channels per batched reduction.
    for (int c0 = 0; c0 < dh; c0 += 16) {
      vf acc[16] = {};
      for (int jb = 0; jb < nb; jb++) {
        const vf e = vload(w + jb * 16);
        const float* m = mt + static_cast<size_t>(c0) * tp + jb * 16;
#pragma GCC unroll 16
        for (int c = 0; c < 16; c++) acc[c] = vfma(e, vload(m + static_cast<size_t>(c) * tp), acc[c]);
      }
      vstore(out + c0, vsum16(acc) * mul);
    }
    return;
  }
#elif defined(CSP_VSUM8)
  if (dh % 8 == 0) {
    // Eight channels per batched reduction, accumulated four at a time (eight pairs of ymm
    // accumulators would not fit the register file).
    for (int c0 = 0; c0 < dh; c0 += 8) {
      vf acc[8] = {};
#pragma GCC unroll 2
      for (int half = 0; half < 8; half += 4) {
        for (int jb = 0; jb < nb; jb++) {
          const vf e = vload(w + jb * kVL);
          const float* m = mt + static_cast<size_t>(c0 + half) * tp + jb * kVL;
#pragma GCC unroll 4
          for (int c = 0; c < 4; c++) acc[half + c] = vfma(e, vload(m + static_cast<size_t>(c) * tp), acc[half + c]);
        }
      }
      const f32x8 sums = vsum8(acc) * mul;
      std::memcpy(out + c0, &sums, sizeof sums);
    }
    return;
  }
#endif
  for (int c0 = 0; c0 < dh; c0 += kChannelChunk) {
    const int cn = std::min(kChannelChunk, dh - c0);
    vf acc[kChannelChunk] = {};
    for (int jb = 0; jb < nb; jb++) {
      const vf e = vload(w + jb * kVL);
      const float* m = mt + static_cast<size_t>(c0) * tp + jb * kVL;
      for (int c = 0; c < cn; c++) acc[c] = vfma(e, vload(m + static_cast<size_t>(c) * tp), acc[c]);
    }
    for (int c = 0; c < cn; c++) out[c0 + c] = vsum(acc[c]) * mul;
  }
}

// at[c·tp + j] += Σ_r a[r·dh + c]·wa[r·tp + j] and bt likewise from b and wb, for j < nb·kVL: the
// backward's dKᵀ += qᵀ·ds and dVᵀ += dyᵀ·p of one row block.
template <int DH, int R>
inline void addOuterProducts(const float* a, const float* wa, const float* b, const float* wb, int dhRuntime, int tp,
                             int nb, float* at, float* bt) {
  const int dh = DH ? DH : dhRuntime;
  for (int jb = 0; jb < nb; jb++) {
    vf x[R], y[R];
    for (int r = 0; r < R; r++) {
      x[r] = vload(wa + r * tp + jb * kVL);
      y[r] = vload(wb + r * tp + jb * kVL);
    }
#pragma GCC unroll 4
    for (int c = 0; c < dh; c++) {
      float* ac = at + static_cast<size_t>(c) * tp + jb * kVL;
      float* bc = bt + static_cast<size_t>(c) * tp + jb * kVL;
      vf sa = vload(ac), sb = vload(bc);
      for (int r = 0; r < R; r++) {
        sa = vfma(vbroadcast(a[r * dh + c]), x[r], sa);
        sb = vfma(vbroadcast(b[r * dh + c]), y[r], sb);
      }
      vstore(ac, sa);
      vstore(bc, sb);
    }
  }
}

// Probability matrices at least this big are written with non-temporal stores: they will not stay
// in cache until the backward reads them, and a normal store first reads every line it writes.
constexpr double kStreamBytes = 8.0 * 1024 * 1024;

// p is aligned to the whole vector (kVL floats).
inline void storeStreaming(float* p, const vf& v) {
#if defined(__AVX512F__)
  _mm512_stream_ps(p, v);
#elif defined(__AVX__)
  _mm256_stream_ps(p, v.lo);
  _mm256_stream_ps(p + 8, v.hi);
#else
  vstore(p, v);
#endif
}

// Orders the non-temporal stores before whatever the thread does next (the pool's handshake).
inline void streamingDone() {
#if defined(__AVX__)
  _mm_sfence();
#endif
}

// p[j] = w[j]·mul for j < n and 0 for n ≤ j < t. With `stream`, every whole vector-aligned stretch
// of p goes out by non-temporal stores. w is readable up to roundUp(t, kVL).
inline void writeProbRow(const float* w, int n, float mul, int t, bool stream, vf lanes, float* p) {
  int j = 0;
  if (stream) {
    constexpr uintptr_t kAlign = kVL * sizeof(float);
    const int head = static_cast<int>((kAlign - reinterpret_cast<uintptr_t>(p) % kAlign) % kAlign / sizeof(float));
    for (; j < std::min(head, t); j++) p[j] = j < n ? w[j] * mul : 0.0f;
    for (; j + kVL <= t; j += kVL) {
      const vf x = j + kVL <= n ? vload(w + j) * mul : vselect(lanes < static_cast<float>(n - j), vload(w + j) * mul, vzero());
      storeStreaming(p + j, x);
    }
    for (; j < t; j++) p[j] = j < n ? w[j] * mul : 0.0f;
    return;
  }
  for (; j + kVL <= n; j += kVL) vstore(p + j, vload(w + j) * mul);
  for (; j < n; j++) p[j] = w[j] * mul;
  std::fill(p + n, p + t, 0.0f);
}

// Where the pair after (bi, h) starts in q, k, v: the next head's columns, or the next batch's rows.
inline int64_t nextPairBase(int bi, int h, int t, int H, int dh, int64_t D) {
  if (h + 1 < H) return static_cast<int64_t>(bi) * t * D + static_cast<int64_t>(h + 1) * dh;
  return static_cast<int64_t>(bi + 1) * t * D;
}

// Prefetches rows [r0, r1) of a head's columns (dh floats at base + r·D) in each array. A head's
// columns are short strips D floats apart, a pattern the hardware prefetchers (which stop at page
// boundaries) mostly miss; the kernels spread these over a pair's row blocks, one block ahead.
template <bool kForWrite>
inline void prefetchRows(const float* const* arrays, int count, int64_t base, int64_t D, int r0, int r1, int dh) {
  for (int r = r0; r < r1; r++) {
    for (int a = 0; a < count; a++) {
      const float* row = arrays[a] + base + r * D;
      for (int c = 0; c < dh; c += 16) __builtin_prefetch(row + c, kForWrite ? 1 : 0, 3);
      __builtin_prefetch(row + dh - 1, kForWrite ? 1 : 0, 3);
    }
  }
}

// Per-thread scratch, kept between calls so the hot loops never allocate.
thread_local AlignedBuffer t_rowsA, t_rowsB, t_kt, t_vt, t_dkt, t_dvt, t_blockA, t_blockB;

template <int DH>
bool forwardT(const AttentionDims& d, const float* q, const float* k, const float* v, const float* sink, float* y,
              float* probs, float* pSink) {
  constexpr int R = kRowsForward;
  const int t = d.t, H = d.nHead, dh = DH ? DH : d.dHead;
  const int64_t D = static_cast<int64_t>(H) * dh;
  const int tp = roundUp(t, kVL), tr = roundUp(t, R);
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(dh)));
  const double flops = 2.0 * d.b * H * static_cast<double>(t) * (t + 1) * dh;
  const bool stream = probs && 4.0 * d.b * H * static_cast<double>(t) * t >= kStreamBytes;
  std::atomic<bool> ok{true};
  parallelFor(d.b * H, flops > kParallelFlops ? threadCount() : 1, [&](int pair) {
    float* qs = t_rowsA.get(static_cast<size_t>(tr) * dh);  // [tr, dh], q·scale
    float* kt = t_kt.get(static_cast<size_t>(dh) * tp);     // [dh, tp]
    float* vt = t_vt.get(static_cast<size_t>(dh) * tp);     // [dh, tp]
    float* s = t_blockA.get(static_cast<size_t>(R) * tp);  // [R, tp] scores, then exps
    if (!qs || !kt || !vt || !s) {
      ok.store(false);
      return;
    }
    const int bi = pair / H, h = pair % H;
    const int64_t base = static_cast<int64_t>(bi) * t * D + static_cast<int64_t>(h) * dh;
    packRows(q + base, D, t, dh, tr, scale, qs);
    packTransposed(k + base, D, t, dh, tp, kt);
    packTransposed(v + base, D, t, dh, tp, vt);
    const float sinkLogit = sink ? sink[h] : -INFINITY;
    const vf lanes = laneIndex();
    const bool hasNext = pair + 1 < d.b * H;
    const int64_t nextBase = nextPairBase(bi, h, t, H, dh, D);
    const float* const inputs[] = {q, k, v};
    const float* const outputs[] = {y};
    for (int i0 = 0; i0 < t; i0 += R) {
      const int ahead = std::min(t, i0 + R), ahead2 = std::min(t, i0 + 2 * R);
      if (hasNext) prefetchRows<false>(inputs, 3, nextBase, D, i0, ahead, dh);
      prefetchRows<true>(outputs, 1, base, D, ahead, ahead2, dh);
      // The rows of a block share their key blocks (R divides kVL); rows past t are zero
      // padding, computed along (it costs nothing extra) but never written out.
      const int rows = std::min(R, t - i0);
      const int nb = i0 / kVL + 1;  // key blocks holding keys 0..i for every row i of the block
      const int jd = (nb - 1) * kVL;
      rowsTimesTransposed<DH, R>(qs + static_cast<size_t>(i0) * dh, dh, kt, tp, nb, s);
      // Keys after i (the causal mask, and the padding past t) get -inf, hence probability 0. The
      // R rows go side by side through every pass: independent chains for the pipelines.
      vf mv[R];
      for (int r = 0; r < R; r++) {
        float* sd = s + r * tp + jd;
        vstore(sd, vselect(lanes > static_cast<float>(i0 + r - jd), vbroadcast(-INFINITY), vload(sd)));
        mv[r] = vbroadcast(-INFINITY);
      }
      for (int jb = 0; jb < nb; jb++) {
        for (int r = 0; r < R; r++) mv[r] = vmax(mv[r], vload(s + r * tp + jb * kVL));
      }
      float mx[R];
      vf sum[R];
      for (int r = 0; r < R; r++) {
        mx[r] = std::max(hmax(mv[r]), sinkLogit);
        mv[r] = vbroadcast(mx[r]);
        sum[r] = vzero();
      }
      for (int jb = 0; jb < nb; jb++) {
        for (int r = 0; r < R; r++) {
          float* sj = s + r * tp + jb * kVL;
          const vf e = expNonPositive(vload(sj) - mv[r]);
          vstore(sj, e);
          sum[r] += e;
        }
      }
      for (int r = 0; r < rows; r++) {
        const int i = i0 + r;
        const float* sr = s + r * tp;
        const float zSink = sink ? std::exp(sinkLogit - mx[r]) : 0.0f;
        const float inv = 1.0f / (vsum(sum[r]) + zSink);
        const int64_t rowOut = static_cast<int64_t>(pair) * t + i;
        if (pSink) pSink[rowOut] = zSink * inv;
        weightedRow<DH>(sr, nb, vt, tp, dh, inv, y + base + i * D);
        if (probs) writeProbRow(sr, std::min(nb * kVL, t), inv, t, stream, lanes, probs + rowOut * t);
      }
    }
    if (stream) streamingDone();
  });
  return ok.load();
}

template <int DH>
bool backwardT(const AttentionDims& d, const float* dy, const float* q, const float* k, const float* v,
               const float* probs, const float* pSink, float* dq, float* dk, float* dv, float* dSink) {
  constexpr int R = kRowsBackward;
  const int t = d.t, H = d.nHead, dh = DH ? DH : d.dHead;
  const int64_t D = static_cast<int64_t>(H) * dh;
  const int tp = roundUp(t, kVL), tr = roundUp(t, R);
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(dh)));
  const double flops = 4.0 * d.b * H * static_cast<double>(t) * (t + 1) * dh;
  // Per-pair sink gradients are summed afterwards in pair order, keeping the result thread-independent.
  std::vector<double> sinkParts(static_cast<size_t>(d.b) * H, 0.0);
  std::atomic<bool> ok{true};
  parallelFor(d.b * H, flops > kParallelFlops ? threadCount() : 1, [&](int pair) {
    float* qs = t_rowsA.get(static_cast<size_t>(tr) * dh);   // [tr, dh]
    float* dys = t_rowsB.get(static_cast<size_t>(tr) * dh);  // [tr, dh]
    float* kt = t_kt.get(static_cast<size_t>(dh) * tp);      // [dh, tp]
    float* vt = t_vt.get(static_cast<size_t>(dh) * tp);
    float* dkt = t_dkt.get(static_cast<size_t>(dh) * tp);
    float* dvt = t_dvt.get(static_cast<size_t>(dh) * tp);
    float* pb = t_blockA.get(static_cast<size_t>(R) * tp);  // [R, tp] probabilities
    float* ds = t_blockB.get(static_cast<size_t>(R) * tp);  // [R, tp] dp, then ds·scale
    if (!qs || !dys || !kt || !vt || !dkt || !dvt || !pb || !ds) {
      ok.store(false);
      return;
    }
    const int bi = pair / H, h = pair % H;
    const int64_t base = static_cast<int64_t>(bi) * t * D + static_cast<int64_t>(h) * dh;
    packRows(q + base, D, t, dh, tr, 1.0f, qs);
    packRows(dy + base, D, t, dh, tr, 1.0f, dys);
    packTransposed(k + base, D, t, dh, tp, kt);
    packTransposed(v + base, D, t, dh, tp, vt);
    std::fill(dkt, dkt + static_cast<size_t>(dh) * tp, 0.0f);
    std::fill(dvt, dvt + static_cast<size_t>(dh) * tp, 0.0f);
    const float* P = probs + static_cast<int64_t>(pair) * t * t;
    const bool hasNext = pair + 1 < d.b * H;
    const int64_t nextBase = nextPairBase(bi, h, t, H, dh, D);
    const float* const inputs[] = {q, k, v, dy};
    const float* const rowOutputs[] = {dq};
    const float* const columnOutputs[] = {dk, dv};
    double sinkSum = 0;
    for (int i0 = 0; i0 < t; i0 += R) {
      const int rows = std::min(R, t - i0);
      const int nb = i0 / kVL + 1;  // the same for every row of the block (R divides kVL)
      const int width = nb * kVL;
      const int ahead = std::min(t, i0 + R), ahead2 = std::min(t, i0 + 2 * R);
      if (hasNext) prefetchRows<false>(inputs, 4, nextBase, D, i0, ahead, dh);
      prefetchRows<true>(rowOutputs, 1, base, D, ahead, ahead2, dh);
      prefetchRows<true>(columnOutputs, 2, base, D, i0, ahead, dh);
      // The probabilities two blocks ahead: rows i hold i + 1 useful entries.
      for (int i = std::min(t, i0 + 2 * R); i < std::min(t, i0 + 3 * R); i++) {
        const float* row = P + static_cast<int64_t>(i) * t;
        for (int j = 0; j <= i; j += 16) __builtin_prefetch(row + j);
      }
      // Probabilities past the diagonal (and rows past t) read as 0, whatever the caller stored there.
      for (int r = 0; r < R; r++) {
        float* pr = pb + r * tp;
        const int keep = r < rows ? i0 + r + 1 : 0;
        if (keep > 0) std::memcpy(pr, P + static_cast<int64_t>(i0 + r) * t, sizeof(float) * keep);
        std::fill(pr + keep, pr + width, 0.0f);
      }
      rowsTimesTransposed<DH, R>(dys + static_cast<size_t>(i0) * dh, dh, vt, tp, nb, ds);
      vf acc[R];
      for (int r = 0; r < R; r++) acc[r] = vzero();
      for (int jb = 0; jb < nb; jb++) {
        for (int r = 0; r < R; r++) acc[r] = vfma(vload(pb + r * tp + jb * kVL), vload(ds + r * tp + jb * kVL), acc[r]);
      }
      for (int r = 0; r < R; r++) {
        const float rowSum = vsum(acc[r]);  // S_i = Σ_j p_ij·dp_ij
        if (r < rows && pSink) sinkSum -= static_cast<double>(pSink[static_cast<int64_t>(pair) * t + i0 + r]) * rowSum;
        acc[r] = vbroadcast(rowSum);
      }
      // ds = p·(dp − S)·scale; rows past t have p = 0, so they add nothing below.
      for (int jb = 0; jb < nb; jb++) {
        for (int r = 0; r < R; r++) {
          float* g = ds + r * tp + jb * kVL;
          vstore(g, vload(pb + r * tp + jb * kVL) * (vload(g) - acc[r]) * scale);
        }
      }
      for (int r = 0; r < rows; r++) weightedRow<DH>(ds + r * tp, nb, kt, tp, dh, 1.0f, dq + base + (i0 + r) * D);
      addOuterProducts<DH, R>(qs + static_cast<size_t>(i0) * dh, ds, dys + static_cast<size_t>(i0) * dh, pb, dh, tp, nb,
                           dkt, dvt);
    }
    unpackTransposed(dkt, tp, t, dh, dk + base, D);
    unpackTransposed(dvt, tp, t, dh, dv + base, D);
    sinkParts[pair] = sinkSum;
  });
  if (!ok.load()) return false;
  if (dSink) {
    for (int pair = 0; pair < d.b * H; pair++) dSink[pair % H] += static_cast<float>(sinkParts[pair]);
  }
  return true;
}

}  // namespace

vf attentionExp(vf x) { return expNonPositive(x); }

bool attentionForward(const AttentionDims& d, const float* q, const float* k, const float* v, const float* sink,
                      float* y, float* probs, float* pSink) {
  if (d.b == 0 || d.t == 0 || d.nHead == 0) return true;
  switch (d.dHead) {
    case 8:
      return forwardT<8>(d, q, k, v, sink, y, probs, pSink);
    case 16:
      return forwardT<16>(d, q, k, v, sink, y, probs, pSink);
    case 32:
      return forwardT<32>(d, q, k, v, sink, y, probs, pSink);
    case 64:
      return forwardT<64>(d, q, k, v, sink, y, probs, pSink);
    default:
      return forwardT<0>(d, q, k, v, sink, y, probs, pSink);
  }
}

bool attentionBackward(const AttentionDims& d, const float* dy, const float* q, const float* k, const float* v,
                       const float* probs, const float* pSink, float* dq, float* dk, float* dv, float* dSink) {
  if (d.b == 0 || d.t == 0 || d.nHead == 0) return true;
  switch (d.dHead) {
    case 8:
      return backwardT<8>(d, dy, q, k, v, probs, pSink, dq, dk, dv, dSink);
    case 16:
      return backwardT<16>(d, dy, q, k, v, probs, pSink, dq, dk, dv, dSink);
    case 32:
      return backwardT<32>(d, dy, q, k, v, probs, pSink, dq, dk, dv, dSink);
    case 64:
      return backwardT<64>(d, dy, q, k, v, probs, pSink, dq, dk, dv, dSink);
    default:
      return backwardT<0>(d, dy, q, k, v, probs, pSink, dq, dk, dv, dSink);
  }
}

}  // namespace csp
