#include "activations.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "simd.h"
#include "thread_pool.h"

namespace csp {

// ---------------------------------------------------------------------------------------------------
// AbsTopK
//
// Non-negative floats order like their bit patterns read as integers, so |x| becomes a 31-bit key
// (sign bit cleared: -0 and +0 tie, as they do for PyTorch) and the k-th largest key is found by a
// radix select: a histogram of the top 11 bits locates it within a bin (for wide rows, a sample
// brackets it between bins first, so that only the keys inside the bracket are counted), then
// histograms of the keys left in that range narrow it down to the exact key. If exactly k keys are
// ≥ some threshold, the kept set {key ≥ threshold} is the only possible answer, so it is PyTorch's,
// and one vector pass applies it. Otherwise equal magnitudes straddle the boundary (or the row has a
// NaN) and which of them PyTorch keeps depends on its nth_element: those rows replay it, as before.
// The result of a row never depends on which path found it, nor on the thread that ran it.

namespace {

using TopKElem = std::pair<double, int64_t>;

constexpr int32_t kMagnitudeMask = 0x7fffffff;
constexpr int32_t kInfinityKey = 0x7f800000;  // keys above it are NaNs
constexpr int kTopShift = 20;                 // the first digit is bits 30..20 of the key
constexpr int kTopBins = 1 << (31 - kTopShift);
// Below this many elements per call the pool's wake-up costs more than it saves.
constexpr int64_t kTopKParallelElems = 1 << 16;
// Rows handed to a thread at a time: enough work to amortise the dispatch of a chunk.
constexpr int64_t kTopKChunkElems = 1 << 14;

struct TopKScratch {
  std::vector<uint32_t> hist;
  std::vector<int32_t> keys;  // the sample, then the candidate keys; room for d + kVL
  std::vector<TopKElem> queue;
};

// PyTorch's selection, replayed: the same container, comparator and algorithm as aten's
// topk_impl_loop (accscalar_t = double), so ties among equal magnitudes resolve to the same indices.
void replayTorchTopK(float* row, uint8_t* keep, int d, int k, std::vector<TopKElem>& queue) {
  queue.resize(d);
  for (int j = 0; j < d; j++) queue[j] = TopKElem(std::fabs(static_cast<double>(row[j])), j);
  std::fill(keep, keep + d, uint8_t{0});
  std::nth_element(queue.begin(), queue.begin() + (k - 1), queue.end(), [](const TopKElem& a, const TopKElem& b) {
    return (std::isnan(a.first) && !std::isnan(b.first)) || (a.first > b.first);
  });
  for (int j = 0; j < k; j++) keep[queue[j].second] = 1;
  for (int j = 0; j < d; j++)
    if (!keep[j]) row[j] = 0.0f;
}

inline int32_t keyOf(float v) {
  int32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits & kMagnitudeMask;
}

int32_t maxKey(const float* row, int d) {
  const vi mask = vbroadcastInt(kMagnitudeMask);
  vi best = vi{};
  int j = 0;
  for (; j + kVL <= d; j += kVL) best = vmax(vloadBits(row + j) & mask, best);
  int32_t m = hmax(best);
  for (; j < d; j++) m = std::max(m, keyOf(row[j]));
  return m;
}

// Walks bins from `top` down until the bins seen hold at least `need` keys; returns that bin and
// leaves in `need` how many keys must still come from it (1 ≤ need ≤ hist[bin]).
int findBin(const uint32_t* hist, int top, int& need) {
  int bin = top;
  // Skip whole blocks of 16 bins at a time first (their sum vectorises): histograms are sparse.
  for (; bin >= 15; bin -= 16) {
    uint32_t block = 0;
    for (int l = 0; l < 16; l++) block += hist[bin - l];
    if (static_cast<int>(block) >= need) break;
    need -= block;
  }
  while (static_cast<int>(hist[bin]) < need) need -= hist[bin--];
  return bin;
}

// Of keys[0, count), all in [lo, hi], the `need` largest (1 ≤ need ≤ count) are to be kept. Narrows
// [lo, hi] by histograms of about `count` bins (enough that the keys spread over many counters
// instead of queueing on a few, few enough that clearing and scanning them stays cheap) until the
// need-th largest key is known; returns the threshold, or -1 if keys equal to it fall on both sides
// of the boundary.
int32_t selectInRange(int32_t* keys, int count, int need, int32_t lo, int32_t hi, uint32_t* hist) {
  for (;;) {
    const uint32_t span = static_cast<uint32_t>(hi - lo);
    uint32_t maxBins = 64;
    while (maxBins < static_cast<uint32_t>(count) && maxBins < static_cast<uint32_t>(kTopBins)) maxBins *= 2;
    int shift = 0;
    while ((span >> shift) >= maxBins) shift++;
    const int bins = static_cast<int>(span >> shift) + 1;
    std::fill(hist, hist + bins, 0u);
    for (int j = 0; j < count; j++) hist[(keys[j] - lo) >> shift]++;
    const int bin = findBin(hist, bins - 1, need);
    const int32_t binLo = lo + (bin << shift);
    if (static_cast<int>(hist[bin]) == need) return binLo;
    if (shift == 0) return -1;  // need < hist[bin] keys equal to the k-th largest: a straddling tie
    int kept = 0;
    for (int j = 0; j < count; j++) {
      const int32_t key = keys[j];
      keys[kept] = key;
      kept += ((key - lo) >> shift) == bin;
    }
    count = kept;
    lo = binLo;
    hi = static_cast<int32_t>(std::min<int64_t>(hi, static_cast<int64_t>(binLo) + (int64_t{1} << shift) - 1));
  }
}

struct RangeCount {
  int above;       // keys > hi
  int count;       // keys in [lo, hi], written out
  int32_t maxKey;  // over the whole row (NaN check)
};

// Appends the keys of row in [lo, hi] to out (room for d + kVL keys) and counts those above hi.
RangeCount gatherRange(const float* row, int d, int32_t lo, int32_t hi, int32_t* out) {
  RangeCount r{0, 0, 0};
  int j = 0;
#if defined(__AVX512F__)
  const vi mask = vbroadcastInt(kMagnitudeMask);
  const __m512i low = _mm512_set1_epi32(lo), high = _mm512_set1_epi32(hi);
  vi best = vi{};
  for (; j + kVL <= d; j += kVL) {
    const vi key = vloadBits(row + j) & mask;
    const __mmask16 over = _mm512_cmpgt_epi32_mask((__m512i)key, high);
    const __mmask16 in = _mm512_cmpge_epi32_mask((__m512i)key, low) & ~over;
    _mm512_storeu_si512(out + r.count, _mm512_maskz_compress_epi32(in, (__m512i)key));
    r.count += __builtin_popcount(in);
    r.above += __builtin_popcount(over);
    best = vmax(key, best);
  }
  r.maxKey = hmax(best);
#elif defined(__AVX2__)
  // AVX2 has no compress: the 8 lanes' in-range bits index a table of left-packing permutations.
  const __m256i mask = _mm256_set1_epi32(kMagnitudeMask);
  const __m256i low = _mm256_set1_epi32(lo - 1), high = _mm256_set1_epi32(hi);
  __m256i best = _mm256_setzero_si256();
  for (; j + 8 <= d; j += 8) {
    const __m256i key = _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + j)), mask);
    const __m256i over = _mm256_cmpgt_epi32(key, high);
    const __m256i in = _mm256_andnot_si256(over, _mm256_cmpgt_epi32(key, low));
    const int inBits = _mm256_movemask_ps(_mm256_castsi256_ps(in));
    const __m256i packed = _mm256_permutevar8x32_epi32(key, _mm256_load_si256(&kLeftPack.lanes[inBits]));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + r.count), packed);
    r.count += __builtin_popcount(inBits);
    r.above += __builtin_popcount(_mm256_movemask_ps(_mm256_castsi256_ps(over)));
    best = _mm256_max_epi32(key, best);
  }
  alignas(32) int32_t bestLanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(bestLanes), best);
  for (int32_t b : bestLanes) r.maxKey = std::max(r.maxKey, b);
#endif
  for (; j < d; j++) {
    const int32_t key = keyOf(row[j]);
    out[r.count] = key;
    r.count += key >= lo && key <= hi;
    r.above += key > hi;
    r.maxKey = std::max(r.maxKey, key);
  }
  return r;
}

// The exact threshold from a histogram of the whole row's top digits.
int32_t fullThreshold(const float* row, int d, int k, TopKScratch& s) {
  const int32_t top = maxKey(row, d);
  if (top > kInfinityKey) return -1;
  const int topBin = top >> kTopShift;
  // Four interleaved histograms: consecutive keys often share a bin, and one counter would then
  // serialise on its own load-increment-store.
  uint32_t* hist = s.hist.data();
  uint32_t* h[4] = {hist, hist + kTopBins, hist + 2 * kTopBins, hist + 3 * kTopBins};
  for (uint32_t* part : h) std::fill(part, part + topBin + 1, 0u);
  int j = 0;
  for (; j + 4 <= d; j += 4) {
    h[0][keyOf(row[j]) >> kTopShift]++;
    h[1][keyOf(row[j + 1]) >> kTopShift]++;
    h[2][keyOf(row[j + 2]) >> kTopShift]++;
    h[3][keyOf(row[j + 3]) >> kTopShift]++;
  }
  for (; j < d; j++) h[0][keyOf(row[j]) >> kTopShift]++;
  int need = k;
  int bin = topBin;
  uint32_t inBin;
  for (;; bin--) {
    inBin = h[0][bin] + h[1][bin] + h[2][bin] + h[3][bin];
    if (static_cast<int>(inBin) >= need) break;
    need -= inBin;
  }
  const int32_t base = static_cast<int32_t>(bin) << kTopShift;
  if (static_cast<int>(inBin) == need) return base;
  const int32_t binTop = base + ((1 << kTopShift) - 1);
  int32_t* keys = s.keys.data();
  const int count = gatherRange(row, d, base, binTop, keys).count;
  return selectInRange(keys, count, need, base, binTop, hist);
}

// Wide rows first look at a sample (one element in kSampleStride, at a varying offset within each
// block so that a period in the data does not bias it) to bracket the k-th largest key between two
// top-digit bins with a wide safety margin; one vector pass then counts the keys above the bracket
// and gathers those inside, and only those are histogrammed. The bracket is only a guess: if the
// counts show the k-th largest outside it, the row takes the full histogram instead.
constexpr int kSampleStride = 8;
constexpr int kSampleMinWidth = 1024;

// Returns false if the bracket missed; else *threshold is the exact threshold or -1.
bool sampledThreshold(const float* row, int d, int k, TopKScratch& s, int32_t* threshold) {
  const int m = d / kSampleStride;
  int32_t* keys = s.keys.data();
  uint32_t* hist = s.hist.data();
  int32_t sampleMax = 0;
  for (int i = 0; i < m; i++) {
    const int32_t key = keyOf(row[i * kSampleStride + ((i * 5) & (kSampleStride - 1))]);
    keys[i] = key;
    sampleMax = std::max(sampleMax, key);
  }
  const int sampleTop = sampleMax >> kTopShift;
  std::fill(hist, hist + sampleTop + 1, 0u);
  for (int i = 0; i < m; i++) hist[keys[i] >> kTopShift]++;
  // Ranks (from the top) the k-th largest may have in the sample: k·m/d ± 3 standard deviations + 2.
  const double expected = static_cast<double>(k) * m / d;
  const double margin = 3.0 * std::sqrt(expected * (1.0 - static_cast<double>(k) / d)) + 2.0;
  int bin = sampleTop, seen = 0;
  while (bin > 0 && seen + static_cast<int>(hist[bin]) <= expected - margin) seen += hist[bin--];
  const int highBin = seen == 0 ? kTopBins - 1 : bin;  // nothing is surely above: keep the top open
  while (bin > 0 && seen < expected + margin) seen += hist[bin--];
  const int lowBin = seen < expected + margin ? 0 : bin + 1;
  const int32_t lo = lowBin << kTopShift;
  const int32_t hi = highBin == kTopBins - 1 ? kMagnitudeMask : ((highBin + 1) << kTopShift) - 1;

  const RangeCount r = gatherRange(row, d, lo, hi, keys);
  if (r.maxKey > kInfinityKey) {
    *threshold = -1;
    return true;
  }
  const int need = k - r.above;
  if (need < 1 || need > r.count) return false;
  *threshold = selectInRange(keys, r.count, need, lo, hi, hist);
  return true;
}

// The threshold T with exactly k keys ≥ T, or -1 if there is none (a tie straddles the boundary) or
// the row holds a NaN. Requires 0 < k < d.
int32_t exactThreshold(const float* row, int d, int k, TopKScratch& s) {
  int32_t threshold;
  if (d >= kSampleMinWidth && sampledThreshold(row, d, k, s, &threshold)) return threshold;
  return fullThreshold(row, d, k, s);
}

// keep[j] = |row[j]| ≥ threshold (as keys); the others are zeroed.
void applyThreshold(float* row, uint8_t* keep, int d, int32_t threshold) {
  const vi mask = vbroadcastInt(kMagnitudeMask);
  const vi t = vbroadcastInt(threshold);
  int j = 0;
  for (; j + kVL <= d; j += kVL) {
    const vf v = vload(row + j);
    const vi hit = (vbits(v) & mask) >= t;
    vstore(row + j, vselect(hit, v, vzero()));
    storeMaskBytes(keep + j, hit);
  }
  for (; j < d; j++) {
    const bool hit = keyOf(row[j]) >= threshold;
    keep[j] = hit;
    if (!hit) row[j] = 0.0f;
  }
}

void absTopKRow(float* row, uint8_t* keep, int d, int k, TopKScratch& s) {
  if (k == 0) {
    std::fill(keep, keep + d, uint8_t{0});
    std::fill(row, row + d, 0.0f);
    return;
  }
  const int32_t threshold = exactThreshold(row, d, k, s);
  if (threshold >= 0) {
    applyThreshold(row, keep, d, threshold);
  } else {
    replayTorchTopK(row, keep, d, k, s.queue);
  }
}

}  // namespace

void absTopK(float* x, int n, int d, int k, uint8_t* kept) {
  if (k >= d) {
    std::fill(kept, kept + static_cast<int64_t>(n) * d, uint8_t{1});
    return;
  }
  const int rowsPerChunk = static_cast<int>(std::max<int64_t>(1, kTopKChunkElems / d));
  const int chunks = (n + rowsPerChunk - 1) / rowsPerChunk;
  const int64_t total = static_cast<int64_t>(n) * d;
  // Rows are independent and each is computed the same way by whichever thread takes it.
  parallelFor(chunks, total >= kTopKParallelElems ? threadCount() : 1, [&](int chunk) {
    thread_local TopKScratch scratch;
    if (scratch.hist.size() < 4 * kTopBins) scratch.hist.resize(4 * kTopBins);
    if (scratch.keys.size() < static_cast<size_t>(d) + kVL) scratch.keys.resize(static_cast<size_t>(d) + kVL);
    const int64_t begin = static_cast<int64_t>(chunk) * rowsPerChunk;
    const int64_t end = std::min<int64_t>(n, begin + rowsPerChunk);
    for (int64_t i = begin; i < end; i++) {
      const int64_t offset = i * d;
      absTopKRow(x + offset, kept + offset, d, k, scratch);
    }
  });
}

// ---------------------------------------------------------------------------------------------------
// GELU
//
// Vectorised in float32 on the build's own registers (8 lanes with AVX2, 16 with AVX-512; the width
// changes no result: every lane runs the same operations, FMAs included, so every build computes
// the same bits). Both directions need Φ(−u) for u = |x|, written as e^{−u²/2}·R(u) with
// R(u) = Φ(−u)·e^{u²/2} (Mills' ratio over √2π): R is smooth, 0.5 at 0 and ≈ 1/(√2π·u) for large u,
// and a [5/6] rational fits it to 9e-11 on [0, 15]. Working with Φ(−u) instead of 1 + erf(x/√2)
// keeps full relative precision in the negative tail, where that formula cancels:
//   GELU(x)  = x·Φ(x) = x − u·Φ(−u) for x ≥ 0,   −u·Φ(−u) for x < 0
//   GELU'(x) = Φ(x) + x·φ(x) = 1 + e^{−u²/2}·(u/√2π − R(u)) for x ≥ 0,
//                               −e^{−u²/2}·(u/√2π − R(u))     for x < 0
// Accuracy (tested against the float64 formula, test/backend/activations_native.test.ts; worst seen
// against a 40-digit reference: 3.1e-7 relative forward, 1.4e-7 absolute backward): GELU within
// 4e-7 relative (a few float ulps), GELU' within 4e-7 relative plus 2e-7 absolute, the absolute part
// from the cancellation near its root at x ≈ −0.75. An earlier float64 version rounded once
// (correctly rounded but for 1 value in 10⁴); it took 2.0× (AVX2) and 1.4× (AVX-512) this one's
// time in the csp_yolo2 forward, and the fp32 model downstream cannot use the last ulp. u² is split
// exactly (FMA) before the exponential, so the tail keeps its relative precision down to the
// subnormals: e^{−u²/2} = 2^n·e^r is applied as e^r times two powers of two, so a result that is
// subnormal is rounded once. Beyond |x| = 15 the results are the
// limits (the tails are below float's smallest subnormal), with GELU(−∞) = NaN and GELU'(±∞) = NaN
// as the float64 formula gives. Every element goes through the same vector code (a partial vector
// through a padded copy), so a result never depends on where a chunk boundary falls or how many
// threads run.

namespace {

constexpr float kGeluClamp = 15.0f;
constexpr int64_t kGeluChunk = 1 << 14;  // a multiple of every vector width
constexpr int64_t kGeluParallelElems = 1 << 16;

constexpr int kGeluLanes = kRegisterBytes / static_cast<int>(sizeof(float));
typedef NativeOf<float, kGeluLanes> gf;
typedef NativeOf<int32_t, kGeluLanes> gi;

inline gf splat(float s) { return vsplat<gf>(s); }
inline gi bitsOf(gf v) { return vbitcast<gi>(v); }
inline gf fromBits(gi v) { return vbitcast<gf>(v); }
inline gf select(gi mask, gf a, gf b) { return vselectAs(mask, a, b); }

// e^{−u²/2} for 0 ≤ u ≤ kGeluClamp as m·2^{n1}·2^{n2}: m ≈ e^r in [0.7, 1.42] and two
// exponents, each ≥ −82, whose powers of two are normal floats; the caller multiplies its other
// factors into m first and the powers last, so only the last product can round to a subnormal.
struct HalfGaussian {
  gf m;
  gf scale1, scale2;
};

inline HalfGaussian halfGaussian(gf u) {
  // u² = s + e exactly; e^{−(s + e)/2} = e^{−s/2}·(1 − e/2) to far below float resolution.
  const gf s = u * u;
  const gf e = vfms(u, u, s);
  const gf a = splat(-0.5f) * s;  // exact
  const ExpParts<gf, gi> parts = expParts<gi>(a);  // −163 ≤ n ≤ 0 here
  const gf m = vfnma(parts.mantissa, splat(0.5f) * e, parts.mantissa);  // e^r·(1 − e/2)
  const gi n1 = parts.n >> 1;  // arithmetic shift: n1 ≥ −82, n − n1 ≥ −82
  const gi n2 = parts.n - n1;
  return {m, fromBits((n1 + 127) << 23), fromBits((n2 + 127) << 23)};
}

// R(u) = Φ(−u)·e^{u²/2} on [0, 15]: P5(u)/Q6(u), with R(0) = 0.5 exactly (so that GELU(x) = x/2
// exactly for tiny x). Every coefficient is positive, so the float evaluation does not cancel.
// Estrin-style: short dependency chains.
inline gf millsRatio(gf u) {
  const gf u2 = u * u, u4 = u2 * u2;
  const gf p01 = vfma(splat(0.50785648966144892f), u, splat(0.5f));
  const gf p23 = vfma(splat(0.071416519241281326f), u, splat(0.25084055486604029f));
  const gf p45 = vfma(splat(0.00089159341285181381f), u, splat(0.011665912414624247f));
  const gf p = vfma(p45, u4, vfma(p23, u2, p01));
  const gf q01 = vfma(splat(1.8135975344245423f), u, splat(1.0f));
  const gf q23 = vfma(splat(0.65790857262975799f), u, splat(1.4487226880565445f));
  const gf q45 = vfma(splat(0.029241926076856897f), u, splat(0.18125499718682034f));
  const gf q = vfma(vfma(splat(0.0022348959006696081f), u2, q45), u4, vfma(q23, u2, q01));
  return p / q;
}

inline gf clampedAbs(gf x) {
  const gf u = fromBits(bitsOf(x) & vsplat<gi>(0x7fffffff));
  return select(u < splat(kGeluClamp), u, splat(kGeluClamp));  // NaN → 15, overridden later
}

inline gf geluLanes(gf x) {
  const gf u = clampedAbs(x);
  const HalfGaussian g = halfGaussian(u);
  const gf tail = ((u * millsRatio(u)) * g.m) * g.scale1 * g.scale2;  // u·Φ(−u)
  gf y = select(x >= gf{}, x - tail, -tail);
  // |x| > 15: x for x > 0; for x < 0 the float64 formula gives −0 (finite) or NaN (−∞), as x·0 does.
  const gi big = (x > splat(kGeluClamp)) | (x < splat(-kGeluClamp));
  y = select(big, select(x > gf{}, x, x * gf{}), y);
  return select(x != x, x, y);
}

inline gf geluGradLanes(gf x, gf dy) {
  const gf u = clampedAbs(x);
  const HalfGaussian g = halfGaussian(u);
  const gf h = (vfms(u, splat(0.3989422804014327f), millsRatio(u)) * g.m) * g.scale1 * g.scale2;
  gf slope = select(x >= gf{}, splat(1.0f) + h, -h);
  // |x| > 15: slope 1 or −0 (x − x and x·0 turn ±∞ into NaN, as the float64 formula does).
  const gi big = (x > splat(kGeluClamp)) | (x < splat(-kGeluClamp));
  slope = select(big, select(x > gf{}, splat(1.0f) + (x - x), x * gf{}), slope);
  slope = select(x != x, x, slope);
  return dy * slope;
}

// Runs body(offset, count) over [0, size) in steps of kGeluLanes lanes, in parallel when it pays; only
// the last step may have count < kGeluLanes.
template <typename Body>
void forEachLanes(int64_t size, Body body) {
  const int64_t whole = size / kGeluLanes * kGeluLanes;
  const int chunks = static_cast<int>((whole + kGeluChunk - 1) / kGeluChunk);
  parallelFor(chunks, size >= kGeluParallelElems ? threadCount() : 1, [&](int chunk) {
    const int64_t begin = chunk * kGeluChunk, end = std::min(whole, begin + kGeluChunk);
    for (int64_t i = begin; i < end; i += kGeluLanes) body(i, kGeluLanes);
  });
  if (whole < size) body(whole, static_cast<int>(size - whole));
}

// A partial vector through a zero-padded copy.
inline gf loadLanes(const float* p, int count) {
  gf v = gf{};
  std::memcpy(&v, p, count * sizeof(float));
  return v;
}

inline void storeLanes(float* p, gf v, int count) { std::memcpy(p, &v, count * sizeof(float)); }

}  // namespace

void geluForward(const float* x, float* out, int64_t size) {
  forEachLanes(size, [&](int64_t i, int count) { storeLanes(out + i, geluLanes(loadLanes(x + i, count)), count); });
}

void geluBackward(const float* x, const float* dy, float* dx, int64_t size) {
  forEachLanes(size, [&](int64_t i, int count) {
    storeLanes(dx + i, geluGradLanes(loadLanes(x + i, count), loadLanes(dy + i, count)), count);
  });
}

}  // namespace csp
