// Magnitude top-k projection with min-alive (train_kernels.h; oracle src/backend/ts/train_topk.ts).
//
// |w| is compared through its float32 bit pattern with the sign cleared: for non-negative floats the
// unsigned bit order is the numeric order, and the oracle's double comparison of float32 values gives
// the same answers. The threshold (the budget-th largest |w| among unforced entries) is found without
// sorting: a deterministic random sample brackets it between two keys [lo, hi], one pass counts the
// entries above hi and collects the few inside the bracket (in index order), and a histogram plus
// nth_element picks the threshold among those. If the bracket missed (rare), the pass is repeated
// with the bracket [0, max], which is exact. The result never depends on the sample, only the speed.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <vector>

#include "simd.h"
#include "thread_pool.h"
#include "train_kernels.h"

namespace csp {
namespace {

constexpr int64_t kChunk = 1 << 16;  // elements per parallel chunk of a pass over the matrix

inline int32_t absKey(float x) {
  int32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u & 0x7fffffff;
}

// Bit l of the result: absKey(p[l]) > thr[l] (signed compare; keys are ≥ 0, thresholds ≥ −1), for
// the 16 entries at p.
inline uint32_t greaterMask16(const float* p, const int32_t* thr) {
#if defined(__AVX512F__)
  const __m512i keys = _mm512_and_si512(_mm512_loadu_si512(p), _mm512_set1_epi32(0x7fffffff));
  return _mm512_cmpgt_epi32_mask(keys, _mm512_loadu_si512(thr));
#else
  return laneBits((vloadBits(p) & 0x7fffffff) > vloadAs<vi>(thr));
#endif
}

// The same against one threshold for all 16.
inline uint32_t greaterMask16(const float* p, int32_t thr) {
#if defined(__AVX512F__)
  const __m512i keys = _mm512_and_si512(_mm512_loadu_si512(p), _mm512_set1_epi32(0x7fffffff));
  return _mm512_cmpgt_epi32_mask(keys, _mm512_set1_epi32(thr));
#else
  return laneBits((vloadBits(p) & 0x7fffffff) > vbroadcastInt(thr));
#endif
}

// A neuron's best `slots` (key, index) so far, sorted by key descending, then index ascending.
// Insertion is strictly-greater, so among equal keys the earlier (lower) index stays ahead.
inline void insertBest(int32_t* bestKey, int64_t* bestIdx, int slots, int32_t key, int64_t idx) {
  if (!(key > bestKey[slots - 1])) return;
  int s = slots - 1;
  while (s > 0 && key > bestKey[s - 1]) {
    bestKey[s] = bestKey[s - 1];
    bestIdx[s] = bestIdx[s - 1];
    s--;
  }
  bestKey[s] = key;
  bestIdx[s] = idx;
}

// The largest key among n consecutive entries (−1 if none).
inline int32_t maxKey(const float* p, int n) {
  int32_t mx = -1;
  int i = 0;
  if (n >= 16) {
    vi acc = vbroadcastInt(-1);
    for (; i + 16 <= n; i += 16) acc = vmax(vloadBits(p + i) & 0x7fffffff, acc);
    mx = std::max(mx, hmax(acc));
  }
  for (; i < n; i++) mx = std::max(mx, absKey(p[i]));
  return mx;
}

// lane[l] = the largest key at positions ≡ l (mod 16) among the full 16-blocks of p[0, n), n ≥ 16.
inline void laneMaxKeys(const float* p, int n, int32_t lane[16]) {
  vi acc = vbroadcastInt(-1);
  for (int i = 0; i + 16 <= n; i += 16) acc = vmax(vloadBits(p + i) & 0x7fffffff, acc);
  vstoreAs(lane, acc);
}

// Each neuron's `slots` largest |w| (ties: lower index), as flat indices into forced[neurons·slots].
//
// A neuron's entries are offered in index order to a sorted buffer of `slots`. Most offers would be
// rejected, but each accepted one costs a mispredicted branch or two, so a lower bound on the
// neuron's slots-th largest key filters them first: cut the neuron into `slots` groups; their maxima
// are `slots` distinct entries, so the slots-th largest key is at least the smallest group maximum.
// Only entries at or above that bound are offered (ties included, so the index order still decides).
void markForced(const float* w, int rows, int cols, NeuronAxis axis, int slots, int64_t* forced) {
  const int threads = static_cast<int64_t>(rows) * cols >= kChunk ? threadCount() : 1;
  if (axis == NeuronAxis::kRows) {
    const int chunks = std::max(1, rows / 16);
    parallelFor(chunks, threads, [&](int chunk) {
      const int r0 = static_cast<int>(static_cast<int64_t>(rows) * chunk / chunks);
      const int r1 = static_cast<int>(static_cast<int64_t>(rows) * (chunk + 1) / chunks);
      std::vector<int32_t> bestKey(slots);
      for (int r = r0; r < r1; r++) {
        const float* row = w + static_cast<int64_t>(r) * cols;
        int64_t* bestIdx = forced + static_cast<int64_t>(r) * slots;
        std::fill(bestKey.begin(), bestKey.end(), -1);
        std::fill(bestIdx, bestIdx + slots, -1);
        int32_t bound = 0x7fffffff;
        if (slots <= 16 && cols >= 16) {
          // Groups by vector lane: lane l of every full 16-block belongs to group l·slots/16.
          int32_t lane[16];
          laneMaxKeys(row, cols, lane);
          for (int g = 0, l = 0; g < slots; g++) {
            int32_t mx = -1;
            for (; l * slots / 16 == g; l++) mx = std::max(mx, lane[l]);
            bound = std::min(bound, mx);
          }
        } else {
          for (int g = 0; g < slots; g++) {
            const int c0 = static_cast<int>(static_cast<int64_t>(cols) * g / slots);
            const int c1 = static_cast<int>(static_cast<int64_t>(cols) * (g + 1) / slots);
            bound = std::min(bound, maxKey(row + c0, c1 - c0));
          }
        }
        const int64_t base = static_cast<int64_t>(r) * cols;
        int c = 0;
        for (; c + 16 <= cols; c += 16) {
          uint32_t mask = greaterMask16(row + c, std::max(bound - 1, bestKey[slots - 1]));
          while (mask) {
            const int l = __builtin_ctz(mask);
            mask &= mask - 1;
            insertBest(bestKey.data(), bestIdx, slots, absKey(row[c + l]), base + c + l);
          }
        }
        for (; c < cols; c++) insertBest(bestKey.data(), bestIdx, slots, absKey(row[c]), base + c);
      }
    });
    return;
  }
  // Column neurons: blocks of columns, each walked row by row in memory order, with the filters of
  // the block's columns side by side so that 16 columns are tested at once.
  constexpr int kBlock = 256;
  const int chunks = (cols + kBlock - 1) / kBlock;
  parallelFor(chunks, threads, [&](int chunk) {
    const int c0 = chunk * kBlock, c1 = std::min(cols, c0 + kBlock), width = c1 - c0;
    std::vector<int32_t> bestKey(static_cast<size_t>(width) * slots, -1);
    // filter[j] = max(bound − 1, last slot's key) of column c0 + j; padded for full vector loads.
    std::vector<int32_t> filter(static_cast<size_t>(width) + 16, 0x7fffffff), bound(static_cast<size_t>(width), 0x7fffffff);
    std::vector<int32_t> groupMax(static_cast<size_t>(width));
    for (int g = 0; g < slots; g++) {
      const int r0 = static_cast<int>(static_cast<int64_t>(rows) * g / slots);
      const int r1 = static_cast<int>(static_cast<int64_t>(rows) * (g + 1) / slots);
      std::fill(groupMax.begin(), groupMax.end(), -1);
      for (int r = r0; r < r1; r++) {
        const float* row = w + static_cast<int64_t>(r) * cols + c0;
        for (int j = 0; j < width; j++) groupMax[j] = std::max(groupMax[j], absKey(row[j]));
      }
      for (int j = 0; j < width; j++) bound[j] = std::min(bound[j], groupMax[j]);
    }
    for (int j = 0; j < width; j++) filter[j] = bound[j] - 1;
    for (int c = c0; c < c1; c++) std::fill(forced + static_cast<int64_t>(c) * slots, forced + static_cast<int64_t>(c + 1) * slots, -1);
    auto offer = [&](int r, int c) {
      const int local = c - c0;
      int32_t* bk = bestKey.data() + static_cast<size_t>(local) * slots;
      const int64_t i = static_cast<int64_t>(r) * cols + c;
      insertBest(bk, forced + static_cast<int64_t>(c) * slots, slots, absKey(w[i]), i);
      filter[local] = std::max(bound[local] - 1, bk[slots - 1]);
    };
    for (int r = 0; r < rows; r++) {
      const float* row = w + static_cast<int64_t>(r) * cols;
      int c = c0;
      for (; c + 16 <= c1; c += 16) {
        uint32_t mask = greaterMask16(row + c, filter.data() + (c - c0));
        while (mask) {
          const int l = __builtin_ctz(mask);
          mask &= mask - 1;
          offer(r, c + l);
        }
      }
      for (; c < c1; c++)
        if (absKey(row[c]) > filter[c - c0]) offer(r, c);
    }
  });
}

// One pass: the number of entries with key > hi, and the unforced entries with lo ≤ key ≤ hi in
// index order (forced entries are counted in `above` too; the caller takes them out).
struct BracketPass {
  int64_t above = 0;
  const uint32_t* candidates = nullptr;  // into the caller's scratch
  int64_t count = 0;
};

// Scratch that outlives a call: a training step projects the same matrices every step, and fresh
// multi-megabyte buffers would cost page faults each time. Per JS thread, as kernels may run on
// several (worker_threads).
struct TopKScratch {
  std::vector<uint32_t> slots;
  std::vector<uint8_t> isForced;
};

template <typename T>
T* atLeast(std::vector<T>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) v.resize(static_cast<size_t>(n));
  return v.data();
}

BracketPass bracketPass(const float* w, int64_t n, const uint8_t* isForced, int32_t lo, int32_t hi,
                        uint32_t* slots) {
  const int chunks = static_cast<int>((n + kChunk - 1) / kChunk);
  std::vector<int64_t> above(chunks, 0), found(chunks, 0);
  // Chunk c writes its candidates at slots + c·kChunk (slots has room for n).
  parallelFor(chunks, n >= 2 * kChunk ? threadCount() : 1, [&](int chunk) {
    const int64_t b = chunk * kChunk, e = std::min(n, b + kChunk);
    uint32_t* out = slots + b;
    int64_t count = 0, m = 0;
    int64_t i = b;
#if defined(__AVX512F__)
    const __m512i absMask = _mm512_set1_epi32(0x7fffffff), vlo = _mm512_set1_epi32(lo), vhi = _mm512_set1_epi32(hi);
    __m512i index = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int32_t>(b)),
                                     _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    const __m512i sixteen = _mm512_set1_epi32(16);
    for (; i + 16 <= e; i += 16) {
      const __m512i keys = _mm512_and_si512(_mm512_loadu_si512(w + i), absMask);
      const __mmask16 gt = _mm512_cmpgt_epi32_mask(keys, vhi);
      const __mmask16 in = _mm512_mask_cmpge_epi32_mask(static_cast<__mmask16>(~gt), keys, vlo);
      count += __builtin_popcount(gt);
      // Compress in a register, then store all 16 lanes: the memory form of compress is microcoded
      // and slow on AMD's cores. The extra lanes land at or before this chunk's end (m ≤ i − b) and
      // are overwritten or never read.
      _mm512_storeu_si512(out + m, _mm512_maskz_compress_epi32(in, index));
      m += __builtin_popcount(in);
      index = _mm512_add_epi32(index, sixteen);
    }
#elif defined(__AVX2__)
    // No compress: the in-bracket lanes' bits pick a left-packing permutation of the index vector.
    const __m256i absMask = _mm256_set1_epi32(0x7fffffff), vlo = _mm256_set1_epi32(lo - 1), vhi = _mm256_set1_epi32(hi);
    __m256i index = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int32_t>(b)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const __m256i eight = _mm256_set1_epi32(8);
    for (; i + 8 <= e; i += 8) {
      const __m256i keys = _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + i)), absMask);
      const __m256i gt = _mm256_cmpgt_epi32(keys, vhi);
      const __m256i in = _mm256_andnot_si256(gt, _mm256_cmpgt_epi32(keys, vlo));  // lo ≤ key ≤ hi
      count += __builtin_popcount(_mm256_movemask_ps(_mm256_castsi256_ps(gt)));
      const int inBits = _mm256_movemask_ps(_mm256_castsi256_ps(in));
      if (inBits) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + m),
                            _mm256_permutevar8x32_epi32(index, _mm256_load_si256(&kLeftPack.lanes[inBits])));
        m += __builtin_popcount(inBits);
      }
      index = _mm256_add_epi32(index, eight);
    }
#endif
    for (; i < e; i++) {
      const int32_t key = absKey(w[i]);
      if (key > hi) count++;
      else if (key >= lo) out[m++] = static_cast<uint32_t>(i);
    }
    // Forced entries inside the bracket are no candidates.
    if (isForced) m = std::remove_if(out, out + m, [&](uint32_t j) { return isForced[j] != 0; }) - out;
    above[chunk] = count;
    found[chunk] = m;
  });
  BracketPass result;
  int64_t total = 0;
  for (int c = 0; c < chunks; c++) {
    result.above += above[c];
    total += found[c];
  }
  // Compact in place: chunk c's run moves down to the end of chunk c − 1's.
  int64_t at = 0;
  for (int c = 0; c < chunks; c++) {
    std::memmove(slots + at, slots + static_cast<int64_t>(c) * kChunk, found[c] * sizeof(uint32_t));
    at += found[c];
  }
  result.candidates = slots;
  result.count = total;
  return result;
}

// Keys [lo, hi] that, with high probability, contain the budget-th largest unforced key, from a
// deterministic random sample. Wide open ([0, max]) for small matrices, where a pass costs nothing.
void bracketFromSample(const float* w, int64_t n, const uint8_t* isForced, int64_t unforced, int64_t budget, int32_t* lo,
                       int32_t* hi) {
  *lo = 0;
  *hi = 0x7fffffff;
  constexpr int kSample = 8192;
  if (n < 16 * kSample) return;
  std::vector<int32_t> sample;
  sample.reserve(kSample);
  uint64_t state = 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(n);
  for (int s = 0; s < kSample; s++) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    // Multiply-high maps 32 random bits onto [0, n) without a division (n < 2^31).
    const int64_t i = static_cast<int64_t>(((state >> 32) * static_cast<uint64_t>(n)) >> 32);
    if (!isForced || !isForced[i]) sample.push_back(absKey(w[i]));
  }
  const int m = static_cast<int>(sample.size());
  if (m < kSample / 2) return;
  // Rank of the threshold in the sample, and a margin of about 4 standard deviations of it; the two
  // keys at rank ∓ margin (in descending order) are the bracket.
  const double q = static_cast<double>(budget) / static_cast<double>(unforced);
  const double rank = q * m;
  const double margin = 4.0 * std::sqrt(m * q * (1 - q)) + 8;
  const int64_t top = static_cast<int64_t>(std::floor(rank - margin));
  const int64_t bottom = static_cast<int64_t>(std::ceil(rank + margin));
  auto at = [&](int64_t from, int64_t r) {
    std::nth_element(sample.begin() + from, sample.begin() + r, sample.end(), std::greater<int32_t>());
    return sample[r];
  };
  if (top > 0) *hi = at(0, top);
  if (bottom < m) *lo = at(top > 0 ? top + 1 : 0, bottom);
}

// The rank-th largest (1-based) of keys[0, count): a histogram over the keys' range narrows it to
// one bin, and nth_element picks it among that bin's few keys.
int32_t rankedKey(const int32_t* keys, int64_t count, int64_t rank) {
  int32_t lo = 0x7fffffff, hi = 0;
  for (int64_t c = 0; c < count; c++) {
    lo = std::min(lo, keys[c]);
    hi = std::max(hi, keys[c]);
  }
  constexpr int kBinBits = 12;
  int shift = 0;
  while ((static_cast<int64_t>(hi - lo) >> shift) >= (1 << kBinBits)) shift++;
  std::vector<int64_t> histogram(static_cast<size_t>(1) << kBinBits, 0);
  for (int64_t c = 0; c < count; c++) histogram[(keys[c] - lo) >> shift]++;
  // Walk down from the top bin to the one holding the rank-th largest.
  int bin = (1 << kBinBits) - 1;
  int64_t above = 0;
  while (above + histogram[bin] < rank) above += histogram[bin--];
  std::vector<int32_t> inBin;
  inBin.reserve(static_cast<size_t>(histogram[bin]));
  for (int64_t c = 0; c < count; c++)
    if (((keys[c] - lo) >> shift) == bin) inBin.push_back(keys[c]);
  const int64_t r = rank - above - 1;
  std::nth_element(inBin.begin(), inBin.begin() + r, inBin.end(), std::greater<int32_t>());
  return inBin[r];
}

}  // namespace

void projectTopK(float* w, int rows, int cols, int64_t k, NeuronAxis axis, int perNeuron) {
  const int64_t n = static_cast<int64_t>(rows) * cols;
  if (k >= n) return;
  const bool byRows = axis == NeuronAxis::kRows;
  const int neurons = axis == NeuronAxis::kNone || perNeuron <= 0 ? 0 : (byRows ? rows : cols);
  const int width = byRows ? cols : rows;
  const int slots = neurons == 0 ? 0 : std::min(perNeuron, width);
  const int64_t nForced = static_cast<int64_t>(neurons) * slots;

  // Every buffer of any size is allocated on this thread before anything is written: running out of
  // memory throws std::bad_alloc with the matrix untouched (a worker thread could not report it).
  std::vector<int64_t> forced(static_cast<size_t>(nForced));
  std::vector<float> forcedValue(static_cast<size_t>(nForced));
  static thread_local TopKScratch scratch;
  uint32_t* candidateSlots = atLeast(scratch.slots, n);
  uint8_t* isForced = nForced > 0 ? atLeast(scratch.isForced, n) : nullptr;
  const uint8_t* forcedMask = isForced;
  if (nForced > 0) {
    std::memset(isForced, 0, static_cast<size_t>(n));
    markForced(w, rows, cols, axis, slots, forced.data());
    for (int64_t f = 0; f < nForced; f++) {
      isForced[forced[f]] = 1;
      forcedValue[f] = w[forced[f]];
    }
  }
  const int64_t budget = k - nForced;
  const int64_t unforced = n - nForced;

  int32_t threshold = 0x7fffffff;  // budget 0: every unforced entry goes
  bool zeroAll = budget == 0;
  if (budget > 0) {
    int32_t lo, hi;
    bracketFromSample(w, n, forcedMask, unforced, budget, &lo, &hi);
    // Forced entries above the bracket are in the pass's count but not in the budget's competition.
    auto forcedAbove = [&](int32_t bound) {
      int64_t c = 0;
      for (int64_t f = 0; f < nForced; f++) c += absKey(forcedValue[f]) > bound;
      return c;
    };
    BracketPass pass = bracketPass(w, n, forcedMask, lo, hi, candidateSlots);
    pass.above -= forcedAbove(hi);
    if (!(pass.above < budget && budget <= pass.above + pass.count)) {
      pass = bracketPass(w, n, forcedMask, 0, 0x7fffffff, candidateSlots);
      pass.above -= forcedAbove(0x7fffffff);
    }
    std::vector<int32_t> keys(static_cast<size_t>(pass.count));
    for (int64_t c = 0; c < pass.count; c++) keys[c] = absKey(w[pass.candidates[c]]);
    threshold = rankedKey(keys.data(), pass.count, budget - pass.above);
    int64_t kept = pass.above;
    for (int64_t c = 0; c < pass.count; c++) kept += keys[c] > threshold;
    // Ties at the threshold: the first ones in index order fill the budget, the rest go.
    int64_t ties = budget - kept;
    for (int64_t c = 0; c < pass.count; c++) {
      if (keys[c] != threshold) continue;
      if (ties > 0) ties--;
      else w[pass.candidates[c]] = 0.0f;
    }
  }

  // Zero every entry below the threshold (all of them when the budget is 0), then put the forced
  // entries back. Zeroed entries become +0 like the oracle's `values[i] = 0`, even a −0.
  const int chunks = static_cast<int>((n + kChunk - 1) / kChunk);
  parallelFor(chunks, n >= 2 * kChunk ? threadCount() : 1, [&](int chunk) {
    const int64_t b = chunk * kChunk, e = std::min(n, b + kChunk);
    if (zeroAll) {
      std::fill(w + b, w + e, 0.0f);
      return;
    }
    int64_t i = b;
#if defined(__AVX512F__)
    const __m512i absMask = _mm512_set1_epi32(0x7fffffff), thr = _mm512_set1_epi32(threshold);
    for (; i + 16 <= e; i += 16) {
      const __m512i bits = _mm512_loadu_si512(w + i);
      const __mmask16 below = _mm512_cmplt_epi32_mask(_mm512_and_si512(bits, absMask), thr);
      if (below) _mm512_mask_storeu_epi32(w + i, below, _mm512_setzero_si512());
    }
#elif defined(__AVX2__)
    const __m256i absMask = _mm256_set1_epi32(0x7fffffff), thr = _mm256_set1_epi32(threshold);
    for (; i + 8 <= e; i += 8) {
      __m256i* at = reinterpret_cast<__m256i*>(w + i);
      const __m256i bits = _mm256_loadu_si256(at);
      const __m256i below = _mm256_cmpgt_epi32(thr, _mm256_and_si256(bits, absMask));
      if (!_mm256_testz_si256(below, below)) _mm256_storeu_si256(at, _mm256_andnot_si256(below, bits));
    }
#endif
    for (; i < e; i++)
      if (absKey(w[i]) < threshold) w[i] = 0.0f;
  });
  for (int64_t f = 0; f < nForced; f++) w[forced[f]] = forcedValue[f];
}

}  // namespace csp
