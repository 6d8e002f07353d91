// The one SIMD vocabulary every kernel uses. The addon is built with -march=native on the machine that
// runs it, so the vector width is picked at compile time: 16 floats with AVX-512, 8 with AVX, else 4
// (GCC vector extensions then lower to whatever the target has). Kernels are written once against
// `vf` and stay correct on every width; only the register-blocking constants change.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

#if defined(__AVX__)
#include <immintrin.h>
#endif

namespace csp {

#if defined(__AVX512F__)
constexpr int kVL = 16;
#elif defined(__AVX__)
constexpr int kVL = 8;
#else
constexpr int kVL = 4;
#endif

typedef float vf __attribute__((vector_size(kVL * sizeof(float))));

#if defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)
#define CSP_HAS_SHUFFLEVECTOR 1
#endif
#endif

// memcpy is how GCC spells an unaligned vector load/store without aliasing trouble; it compiles
// to a single vmovups.
inline vf vload(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void vstore(float* p, vf v) { std::memcpy(p, &v, sizeof v); }

inline vf vzero() { return vf{}; }

inline vf vbroadcast(float s) {
#if defined(__AVX512F__)
  return _mm512_set1_ps(s);
#elif defined(__AVX__)
  return _mm256_set1_ps(s);
#else
  return s - vf{};  // not vf{} + s: adding +0 is not an identity (-0 + 0 = +0), subtracting it is
#endif
}

// 32-bit integer lanes of the same width as vf: bit patterns, comparison masks (-1 / 0) and exponents.
// A comparison of two vf (a < b) yields a vi.
typedef int32_t vi __attribute__((vector_size(kVL * sizeof(int32_t))));

// One byte per lane (masks written out as 0/1 bytes).
typedef int8_t vbyte __attribute__((vector_size(kVL)));

// The bits of a vector as another vector type of the same size (no conversion).
template <typename To, typename From>
inline To vbitcast(From v) {
  static_assert(sizeof(To) == sizeof(From), "vbitcast needs types of one size");
  To r;
  std::memcpy(&r, &v, sizeof r);
  return r;
}

inline vi vbits(vf v) { return vbitcast<vi>(v); }
inline vf vfromBits(vi v) { return vbitcast<vf>(v); }

inline vi vloadBits(const float* p) {
  vi v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline vi vbroadcastInt(int32_t s) { return s - vi{}; }

// Per lane: mask ? a : b, for a mask of -1 / 0 lanes (a comparison result).
inline vf vselect(vi mask, vf a, vf b) { return vfromBits((mask & vbits(a)) | (~mask & vbits(b))); }

// Double lanes: half as many as vf, in the same register width (kernels that need double
// precision: convert half a vf with __builtin_convertvector, compute, convert back).
constexpr int kVLD = kVL / 2;
typedef double vd __attribute__((vector_size(kVLD * sizeof(double))));
typedef int64_t vl __attribute__((vector_size(kVLD * sizeof(int64_t))));  // a comparison of two vd
typedef float vfh __attribute__((vector_size(kVLD * sizeof(float))));     // the floats of one vd

inline vl vbitsD(vd v) { return vbitcast<vl>(v); }
inline vd vfromBitsD(vl v) { return vbitcast<vd>(v); }

inline vd vzeroD() { return vd{}; }
inline vd vbroadcastD(double s) { return s - vd{}; }  // s − (+0) = s, also for s = −0
inline vl vbroadcastLong(int64_t s) { return s - vl{}; }
inline vd vselectD(vl mask, vd a, vd b) { return vfromBitsD((mask & vbitsD(a)) | (~mask & vbitsD(b))); }

// Horizontal sum in a fixed tree order, so the result never depends on anything but the lanes.
inline float vsum(vf v) {
#if defined(CSP_HAS_SHUFFLEVECTOR)
  typedef float v4 __attribute__((vector_size(16)));
#if defined(__AVX512F__)
  typedef float v8 __attribute__((vector_size(32)));
  const v8 s8 = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
                __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  const v4 s4 = __builtin_shufflevector(s8, s8, 0, 1, 2, 3) + __builtin_shufflevector(s8, s8, 4, 5, 6, 7);
#elif defined(__AVX__)
  const v4 s4 = __builtin_shufflevector(v, v, 0, 1, 2, 3) + __builtin_shufflevector(v, v, 4, 5, 6, 7);
#else
  const v4 s4 = v;
#endif
  const v4 s2 = s4 + __builtin_shufflevector(s4, s4, 2, 3, 2, 3);
  return s2[0] + s2[1];
#else
  float lanes[kVL];
  vstore(lanes, v);
  for (int width = kVL / 2; width > 0; width /= 2) {
    for (int i = 0; i < width; i++) lanes[i] += lanes[i + width];
  }
  return lanes[0];
#endif
}

#if defined(__AVX512F__) && defined(CSP_HAS_SHUFFLEVECTOR)
#define CSP_TRANSPOSE16 1
// One level of the recursive 16×16 block transpose: for rows a = i and b = i + K, a keeps its even
// K-wide column blocks and takes b's even ones; b gets the odd blocks of both.
constexpr int lowIndex(int K, int j) { return (j % (2 * K)) < K ? j : 16 + j - K; }
constexpr int highIndex(int K, int j) { return (j % (2 * K)) < K ? j + K : 16 + j; }

template <int K, int... J>
inline void swapBlocks(vf& a, vf& b, std::integer_sequence<int, J...>) {
  const vf lo = __builtin_shufflevector(a, b, lowIndex(K, J)...);
  const vf hi = __builtin_shufflevector(a, b, highIndex(K, J)...);
  a = lo;
  b = hi;
}

template <int K>
inline void transposeLevel(vf r[16]) {
  for (int i = 0; i < 16; i++) {
    if ((i & K) == 0) swapBlocks<K>(r[i], r[i + K], std::make_integer_sequence<int, 16>{});
  }
}

// In-register transpose of a 16×16 tile, one vector per row.
inline void transpose16x16(vf r[16]) {
  transposeLevel<8>(r);
  transposeLevel<4>(r);
  transposeLevel<2>(r);
  transposeLevel<1>(r);
}

template <int K>
inline void reduceLevel(vf r[16]) {
  for (int i = 0; i < K; i++) {
    vf a = r[i], b = r[i + K];
    swapBlocks<K>(a, b, std::make_integer_sequence<int, 16>{});
    r[i] = a + b;
  }
}

// Lane j of the result is vsum(r[j]), added up in exactly vsum's tree order: sixteen horizontal
// sums for the price of about three vector operations each.
inline vf vsum16(vf r[16]) {
  reduceLevel<8>(r);
  reduceLevel<4>(r);
  reduceLevel<2>(r);
  reduceLevel<1>(r);
  return r[0];
}
#endif

// Scratch memory aligned to a cache line; grows on demand and is kept for the next call, so that
// the hot loops never pay for page faults of a fresh allocation.
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer() { std::free(data_); }

  float* get(size_t count) {
    count = count < 16 ? 16 : count;  // aligned_alloc(64, 0) may legally return null
    if (count > capacity_) {
      std::free(data_);
      size_t bytes = ((count * sizeof(float) + 63) / 64) * 64;
      data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      capacity_ = data_ ? count : 0;
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace csp
