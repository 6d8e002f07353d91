// The one SIMD vocabulary every kernel uses.
//
// One logical width on every build. Kernels work on vectors of kVL = 16 floats (vf, vi) and kVLD = 8
// doubles (vd, vl), whatever the instruction set the addon is compiled for (binding.gyp's -march):
// which lanes a reduction adds in which tree, how many accumulators it keeps, where padding and
// blocks begin — all of it depends only on the source, so a float result is the same bits on an
// AVX-512 build and on an x86-64-v3 (AVX2) build. An AVX-512 build holds a vf in one zmm register;
// an AVX/AVX2 build as a Pair of two 8-float halves (two ymm registers, lane l of the vf is lane
// l mod 8 of half l / 8); any other build as pairs of 4-float quarters. Every operation acts lane by
// lane, so the halves compute exactly what the wide register does. (A plain 64-byte GCC vector type
// would do the same arithmetic on AVX2, but GCC 12 moves such vectors through the stack at every
// load and store; a Pair of native vectors stays in registers.)
//
// Fused multiply-adds only where written. The addon is compiled with -ffp-contract=off, and kernels
// call vfma / vfnma / vfms (and fmaScalar for scalars) where they want one rounding: whether GCC
// would contract a·b + c by itself depends on its tuning (-mtune=znver* keeps loop-carried
// accumulations of up to 256 bits unfused, generic tuning fuses them), which would make results
// depend on -march again. With FMA hardware (x86-64-v3 and up) each of these is one fused
// instruction on every build; a build without FMA rounds twice and is not bit-identical to the others.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <utility>

#if defined(__AVX__) || defined(__SSE2__)
#include <immintrin.h>
#endif

namespace csp {

// The logical widths (lanes of vf / vi and of vd / vl).
constexpr int kVL = 16;
constexpr int kVLD = 8;

// The widest native vector of this build, in bytes.
#if defined(__AVX512F__)
constexpr int kRegisterBytes = 64;
#elif defined(__AVX__)
constexpr int kRegisterBytes = 32;
#else
constexpr int kRegisterBytes = 16;
#endif

#if defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)
#define CSP_HAS_SHUFFLEVECTOR 1
#endif
#endif

// GCC vector-extension types, one per (lane type, size in bytes) this file uses.
template <typename T, int Bytes>
struct NativeVec;
#define CSP_NATIVE_VEC(T, BYTES)                                 \
  template <>                                                    \
  struct NativeVec<T, BYTES> {                                   \
    typedef T type __attribute__((vector_size(BYTES)));          \
  };
CSP_NATIVE_VEC(float, 16)
CSP_NATIVE_VEC(float, 32)
CSP_NATIVE_VEC(double, 16)
CSP_NATIVE_VEC(double, 32)
CSP_NATIVE_VEC(int32_t, 16)
CSP_NATIVE_VEC(int32_t, 32)
CSP_NATIVE_VEC(int64_t, 16)
CSP_NATIVE_VEC(int64_t, 32)
CSP_NATIVE_VEC(float, 8)
CSP_NATIVE_VEC(double, 8)
CSP_NATIVE_VEC(int32_t, 8)
CSP_NATIVE_VEC(int64_t, 8)
CSP_NATIVE_VEC(int8_t, 4)
CSP_NATIVE_VEC(int8_t, 8)
CSP_NATIVE_VEC(int8_t, 16)
#if defined(__AVX512F__)
CSP_NATIVE_VEC(float, 64)
CSP_NATIVE_VEC(double, 64)
CSP_NATIVE_VEC(int32_t, 64)
CSP_NATIVE_VEC(int64_t, 64)
#endif
#undef CSP_NATIVE_VEC

// A vector of twice H's lanes held as two H: lanes [0, n) in lo and [n, 2n) in hi. L is the lane type.
template <typename H, typename L>
struct Pair {
  typedef H Half;
  typedef L Lane;
  H lo, hi;
};

template <typename V>
struct IsPair : std::false_type {};
template <typename H, typename L>
struct IsPair<Pair<H, L>> : std::true_type {};

// Lanes of a vector type (native or Pair).
template <typename V>
constexpr int lanesOf() {
  if constexpr (IsPair<V>::value) {
    return 2 * lanesOf<typename V::Half>();
  } else {
    return static_cast<int>(sizeof(V) / sizeof(std::declval<V>()[0]));
  }
}

// The vector of N lanes of T on this build: native where it fits a register, else a Pair.
template <typename T, int N, bool Fits = (N * sizeof(T) <= static_cast<size_t>(kRegisterBytes))>
struct VecOf {
  using type = typename NativeVec<T, static_cast<int>(N * sizeof(T))>::type;
};
template <typename T, int N>
struct VecOf<T, N, false> {
  using type = Pair<typename VecOf<T, N / 2>::type, T>;
};

// The comparison-result lane type of a lane type (a < b yields -1 / 0 lanes of this type).
template <typename L>
struct MaskLane {
  using type = typename std::conditional<sizeof(L) == 8, int64_t, int32_t>::type;
};

template <typename T>
struct Id {
  using type = T;
};

// Lane-by-lane operators on Pairs, with the same meaning as GCC's on native vectors (a scalar
// operand applies to every lane).
#define CSP_PAIR_BINARY(OP)                                                                     \
  template <typename H, typename L>                                                             \
  inline Pair<H, L> operator OP(const Pair<H, L>& a, const Pair<H, L>& b) {                     \
    return {a.lo OP b.lo, a.hi OP b.hi};                                                        \
  }                                                                                             \
  template <typename H, typename L>                                                             \
  inline Pair<H, L> operator OP(const Pair<H, L>& a, typename Id<L>::type s) {                  \
    return {a.lo OP s, a.hi OP s};                                                              \
  }                                                                                             \
  template <typename H, typename L>                                                             \
  inline Pair<H, L> operator OP(typename Id<L>::type s, const Pair<H, L>& b) {                  \
    return {s OP b.lo, s OP b.hi};                                                              \
  }                                                                                             \
  template <typename H, typename L>                                                             \
  inline Pair<H, L>& operator OP##=(Pair<H, L>& a, const Pair<H, L>& b) {                       \
    a.lo OP## = b.lo;                                                                           \
    a.hi OP## = b.hi;                                                                           \
    return a;                                                                                   \
  }
CSP_PAIR_BINARY(+)
CSP_PAIR_BINARY(-)
CSP_PAIR_BINARY(*)
CSP_PAIR_BINARY(/)
CSP_PAIR_BINARY(&)
CSP_PAIR_BINARY(|)
CSP_PAIR_BINARY(^)
#undef CSP_PAIR_BINARY

#define CSP_PAIR_SHIFT(OP)                                   \
  template <typename H, typename L>                          \
  inline Pair<H, L> operator OP(const Pair<H, L>& a, int s) { \
    return {a.lo OP s, a.hi OP s};                           \
  }
CSP_PAIR_SHIFT(<<)
CSP_PAIR_SHIFT(>>)
#undef CSP_PAIR_SHIFT

#define CSP_PAIR_COMPARE(OP)                                                                          \
  template <typename H, typename L>                                                                   \
  inline auto operator OP(const Pair<H, L>& a, const Pair<H, L>& b)                                   \
      ->Pair<decltype(a.lo OP b.lo), typename MaskLane<L>::type> {                                    \
    return {a.lo OP b.lo, a.hi OP b.hi};                                                              \
  }                                                                                                   \
  template <typename H, typename L>                                                                   \
  inline auto operator OP(const Pair<H, L>& a, typename Id<L>::type s)                                \
      ->Pair<decltype(a.lo OP s), typename MaskLane<L>::type> {                                       \
    return {a.lo OP s, a.hi OP s};                                                                    \
  }
CSP_PAIR_COMPARE(<)
CSP_PAIR_COMPARE(>)
CSP_PAIR_COMPARE(<=)
CSP_PAIR_COMPARE(>=)
CSP_PAIR_COMPARE(==)
CSP_PAIR_COMPARE(!=)
#undef CSP_PAIR_COMPARE

template <typename H, typename L>
inline Pair<H, L> operator-(const Pair<H, L>& a) {
  return {-a.lo, -a.hi};
}

template <typename H, typename L>
inline Pair<H, L> operator~(const Pair<H, L>& a) {
  return {~a.lo, ~a.hi};
}

// Lane i of a vector (native or Pair).
template <typename V>
inline auto lane(const V& v, int i) {
  if constexpr (IsPair<V>::value) {
    constexpr int half = lanesOf<typename V::Half>();
    return i < half ? lane(v.lo, i) : lane(v.hi, i - half);
  } else {
    return v[i];
  }
}

// The logical vector types.
typedef VecOf<float, kVL>::type vf;       // 16 floats
typedef VecOf<int32_t, kVL>::type vi;     // 16 int32: bit patterns, comparison masks (-1 / 0), exponents
typedef VecOf<double, kVLD>::type vd;     // 8 doubles
typedef VecOf<int64_t, kVLD>::type vl;    // 8 int64 (a comparison of two vd)
typedef VecOf<float, kVLD>::type vfh;     // the 8 floats of one vd

// ---- loads, stores, constants ---------------------------------------------------------------------

// memcpy is how GCC spells an unaligned vector load/store without aliasing trouble; it compiles
// to one unaligned move per native vector.
template <typename V, typename T>
inline V vloadAs(const T* p) {
  if constexpr (IsPair<V>::value) {
    return {vloadAs<typename V::Half>(p), vloadAs<typename V::Half>(p + lanesOf<typename V::Half>())};
  } else {
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
}

template <typename V, typename T>
inline void vstoreAs(T* p, const V& v) {
  if constexpr (IsPair<V>::value) {
    vstoreAs(p, v.lo);
    vstoreAs(p + lanesOf<typename V::Half>(), v.hi);
  } else {
    std::memcpy(p, &v, sizeof v);
  }
}

inline vf vload(const float* p) { return vloadAs<vf>(p); }
inline void vstore(float* p, const vf& v) { vstoreAs(p, v); }
inline vi vloadBits(const float* p) { return vloadAs<vi>(p); }

// Every lane = s. Subtracting +0 is an identity (also for s = −0); adding it would not be.
template <typename V, typename L>
inline V vsplat(L s) {
  if constexpr (IsPair<V>::value) {
    const typename V::Half h = vsplat<typename V::Half>(s);
    return {h, h};
  } else {
    return s - V{};
  }
}

inline vf vzero() { return vf{}; }
inline vf vbroadcast(float s) { return vsplat<vf>(s); }
inline vi vbroadcastInt(int32_t s) { return vsplat<vi>(s); }
inline vd vzeroD() { return vd{}; }
inline vd vbroadcastD(double s) { return vsplat<vd>(s); }

// ---- bits, selection, conversion ------------------------------------------------------------------

// The bits of a vector as another vector type of the same size and shape (no conversion).
template <typename To, typename From>
inline To vbitcast(const From& v) {
  static_assert(sizeof(To) == sizeof(From), "vbitcast needs types of one size");
  if constexpr (IsPair<To>::value) {
    static_assert(IsPair<From>::value, "vbitcast needs types of one shape");
    return {vbitcast<typename To::Half>(v.lo), vbitcast<typename To::Half>(v.hi)};
  } else {
    To r;
    std::memcpy(&r, &v, sizeof r);
    return r;
  }
}

inline vi vbits(const vf& v) { return vbitcast<vi>(v); }
inline vf vfromBits(const vi& v) { return vbitcast<vf>(v); }
inline vl vbitsD(const vd& v) { return vbitcast<vl>(v); }
inline vd vfromBitsD(const vl& v) { return vbitcast<vd>(v); }

// Per lane: mask ? a : b, for a mask of -1 / 0 lanes (a comparison result). GCC's vector ?: on
// native vectors (a blend or masked move).
template <typename M, typename V>
inline V vselectAs(const M& mask, const V& a, const V& b) {
  if constexpr (IsPair<V>::value) {
    return {vselectAs(mask.lo, a.lo, b.lo), vselectAs(mask.hi, a.hi, b.hi)};
  } else {
    return mask ? a : b;
  }
}
inline vf vselect(const vi& mask, const vf& a, const vf& b) { return vselectAs(mask, a, b); }
inline vi vselect(const vi& mask, const vi& a, const vi& b) { return vselectAs(mask, a, b); }
inline vd vselectD(const vl& mask, const vd& a, const vd& b) { return vselectAs(mask, a, b); }

// Per lane: a > b ? a : b (b where either is NaN): one max instruction per native vector.
template <typename V>
inline V vmaxOf(const V& a, const V& b) {
  if constexpr (IsPair<V>::value) {
    return {vmaxOf(a.lo, b.lo), vmaxOf(a.hi, b.hi)};
  } else {
    return a > b ? a : b;
  }
}
inline vf vmax(const vf& a, const vf& b) { return vmaxOf(a, b); }
inline vi vmax(const vi& a, const vi& b) { return vmaxOf(a, b); }

// The two halves of a native vector, and the native vector of two halves (register moves with
// __builtin_shufflevector; memcpy otherwise).
#if defined(CSP_HAS_SHUFFLEVECTOR)
template <typename V, int... J>
inline auto lowHalf(const V& v, std::integer_sequence<int, J...>) {
  return __builtin_shufflevector(v, v, J...);
}
template <typename V, int... J>
inline auto highHalf(const V& v, std::integer_sequence<int, J...>) {
  return __builtin_shufflevector(v, v, (J + static_cast<int>(sizeof...(J)))...);
}
template <typename V, typename H, int... J>
inline V joinHalves(const H& lo, const H& hi, std::integer_sequence<int, J...>) {
  return __builtin_shufflevector(lo, hi, J...);
}
#endif

template <typename V>
inline auto splitNative(const V& v) {
  constexpr int n = lanesOf<V>() / 2;
#if defined(CSP_HAS_SHUFFLEVECTOR)
  return std::make_pair(lowHalf(v, std::make_integer_sequence<int, n>{}), highHalf(v, std::make_integer_sequence<int, n>{}));
#else
  typedef typename std::remove_cv<typename std::remove_reference<decltype(std::declval<V>()[0])>::type>::type L;
  typedef typename NativeVec<L, static_cast<int>(n * sizeof(L))>::type H;
  H lo, hi;
  std::memcpy(&lo, &v, sizeof lo);
  std::memcpy(&hi, reinterpret_cast<const char*>(&v) + sizeof lo, sizeof hi);
  return std::make_pair(lo, hi);
#endif
}

template <typename V, typename H>
inline V joinNative(const H& lo, const H& hi) {
  static_assert(sizeof(V) == 2 * sizeof(H), "joinNative needs two halves");
#if defined(CSP_HAS_SHUFFLEVECTOR)
  return joinHalves<V>(lo, hi, std::make_integer_sequence<int, lanesOf<V>()>{});
#else
  V v;
  std::memcpy(&v, &lo, sizeof lo);
  std::memcpy(reinterpret_cast<char*>(&v) + sizeof lo, &hi, sizeof hi);
  return v;
#endif
}

// The native vector of N lanes of T, whatever fits a register or not (for the halves of a split).
template <typename T, int N>
using NativeOf = typename NativeVec<T, static_cast<int>(N * sizeof(T))>::type;

// Lane-wise numeric conversion (float <-> double) between vectors of equal lane counts.
template <typename To, typename From>
inline To vconvert(const From& v) {
  static_assert(lanesOf<To>() == lanesOf<From>(), "vconvert needs equal lane counts");
  if constexpr (IsPair<To>::value && IsPair<From>::value) {
    return {vconvert<typename To::Half>(v.lo), vconvert<typename To::Half>(v.hi)};
  } else if constexpr (IsPair<To>::value) {
    const auto halves = splitNative(v);
    return {vconvert<typename To::Half>(halves.first), vconvert<typename To::Half>(halves.second)};
  } else if constexpr (IsPair<From>::value) {
    typedef typename std::remove_cv<typename std::remove_reference<decltype(std::declval<To>()[0])>::type>::type L;
    typedef NativeOf<L, lanesOf<To>() / 2> H;
    return joinNative<To>(vconvert<H>(v.lo), vconvert<H>(v.hi));
  } else {
    return __builtin_convertvector(v, To);
  }
}

// Bit l of the result = lane l of a vi comparison mask (-1 / 0 lanes) is set.
inline uint32_t laneBits(const vi& mask) {
#if defined(__AVX512F__)
  return _mm512_test_epi32_mask((__m512i)mask, (__m512i)mask);
#elif defined(__AVX2__)
  if constexpr (IsPair<vi>::value && kRegisterBytes == 32) {
    const __m256 lo = reinterpret_cast<const __m256&>(mask.lo), hi = reinterpret_cast<const __m256&>(mask.hi);
    return static_cast<uint32_t>(_mm256_movemask_ps(lo)) | static_cast<uint32_t>(_mm256_movemask_ps(hi)) << 8;
  }
#endif
  uint32_t bits = 0;
  for (int l = 0; l < kVL; l++) bits |= static_cast<uint32_t>(lane(mask, l) != 0) << l;
  return bits;
}

// Bit l set where p[l] != 0 (NaN counts, −0 does not), for the kVL floats at p.
inline uint32_t nonzeroLaneBits(const float* p) { return laneBits((vloadBits(p) & 0x7fffffff) != vi{}); }

// Calls f(i) for every i in [0, n) with p[i] != 0 (NaN counts, −0 does not), i increasing: whole
// vectors by their nonzero lanes, then the tail one by one.
template <typename F>
inline void forEachNonzero(const float* p, int n, F f) {
  int i = 0;
  for (; i + kVL <= n; i += kVL) {
    for (uint32_t bits = nonzeroLaneBits(p + i); bits != 0; bits &= bits - 1) f(i + __builtin_ctz(bits));
  }
  for (; i < n; i++) {
    if (p[i] != 0.0f) f(i);
  }
}

#if defined(__AVX2__) && !defined(__AVX512F__)
// AVX2 has no compress instruction. For each set of 8 lanes (a bit mask), the permutation that moves
// those lanes, in order, to the front: _mm256_permutevar8x32_epi32(v, kLeftPack.lanes[bits]).
struct LeftPackTable {
  __m256i lanes[256];
  LeftPackTable() {
    for (int bits = 0; bits < 256; bits++) {
      alignas(32) int32_t order[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      int n = 0;
      for (int l = 0; l < 8; l++)
        if (bits & (1 << l)) order[n++] = l;
      lanes[bits] = _mm256_load_si256(reinterpret_cast<const __m256i*>(order));
    }
  }
};
inline const LeftPackTable kLeftPack;
#endif

// Writes mask lanes (-1 / 0) as bytes 1 / 0.
template <typename M>
inline void storeMaskBytes(uint8_t* p, const M& mask) {
#if defined(__AVX2__) && !defined(__AVX512F__)
  if constexpr (std::is_same<M, vi>::value && IsPair<vi>::value && kRegisterBytes == 32) {
    // Two 8 × int32 masks to 16 bytes by saturating packs (GCC's convert extracts lane by lane here).
    // The packs work within 128-bit halves, so the 64-bit blocks are reordered between them.
    const __m256i lo = reinterpret_cast<const __m256i&>(mask.lo), hi = reinterpret_cast<const __m256i&>(mask.hi);
    const __m256i words = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0xD8);  // lo 0-7 | hi 0-7
    const __m256i bytes = _mm256_packs_epi16(words, words);
    const __m128i both = _mm_unpacklo_epi64(_mm256_castsi256_si128(bytes), _mm256_extracti128_si256(bytes, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm_and_si128(both, _mm_set1_epi8(1)));
    return;
  }
#endif
  if constexpr (IsPair<M>::value) {
    storeMaskBytes(p, mask.lo);
    storeMaskBytes(p + lanesOf<typename M::Half>(), mask.hi);
  } else {
    typedef typename NativeVec<int8_t, lanesOf<M>()>::type Bytes;
    const Bytes bytes = -__builtin_convertvector(mask, Bytes);
    std::memcpy(p, &bytes, sizeof bytes);
  }
}

// ---- fused multiply-add ---------------------------------------------------------------------------

// vfma(a, b, c) = a·b + c, vfms(a, b, c) = a·b − c, vfnma(a, b, c) = c − a·b: each rounded once
// where the build has FMA (see the top of this file).
#if defined(__FMA__)
#define CSP_NATIVE_FMA(T, BYTES, SUFFIX, PREFIX)                                                         \
  inline NativeVec<T, BYTES>::type nativeFma(NativeVec<T, BYTES>::type a, NativeVec<T, BYTES>::type b,  \
                                             NativeVec<T, BYTES>::type c) {                              \
    return PREFIX##_fmadd_##SUFFIX(a, b, c);                                                             \
  }                                                                                                      \
  inline NativeVec<T, BYTES>::type nativeFms(NativeVec<T, BYTES>::type a, NativeVec<T, BYTES>::type b,  \
                                             NativeVec<T, BYTES>::type c) {                              \
    return PREFIX##_fmsub_##SUFFIX(a, b, c);                                                             \
  }                                                                                                      \
  inline NativeVec<T, BYTES>::type nativeFnma(NativeVec<T, BYTES>::type a, NativeVec<T, BYTES>::type b, \
                                              NativeVec<T, BYTES>::type c) {                             \
    return PREFIX##_fnmadd_##SUFFIX(a, b, c);                                                            \
  }
CSP_NATIVE_FMA(float, 16, ps, _mm)
CSP_NATIVE_FMA(float, 32, ps, _mm256)
CSP_NATIVE_FMA(double, 16, pd, _mm)
CSP_NATIVE_FMA(double, 32, pd, _mm256)
#if defined(__AVX512F__)
CSP_NATIVE_FMA(float, 64, ps, _mm512)
CSP_NATIVE_FMA(double, 64, pd, _mm512)
#endif
#undef CSP_NATIVE_FMA
inline float fmaScalar(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
inline double fmaScalar(double a, double b, double c) { return __builtin_fma(a, b, c); }
#else
template <typename V>
inline V nativeFma(V a, V b, V c) {
  return a * b + c;
}
template <typename V>
inline V nativeFms(V a, V b, V c) {
  return a * b - c;
}
template <typename V>
inline V nativeFnma(V a, V b, V c) {
  return c - a * b;
}
inline float fmaScalar(float a, float b, float c) { return a * b + c; }
inline double fmaScalar(double a, double b, double c) { return a * b + c; }
#endif

// The three forms on any vector type: native ones directly, Pairs half by half.
enum class FusedOp { kFma, kFms, kFnma };

template <FusedOp Op, typename V>
inline V fused(const V& a, const V& b, const V& c) {
  if constexpr (IsPair<V>::value) {
    return {fused<Op>(a.lo, b.lo, c.lo), fused<Op>(a.hi, b.hi, c.hi)};
  } else if constexpr (Op == FusedOp::kFma) {
    return nativeFma(a, b, c);
  } else if constexpr (Op == FusedOp::kFms) {
    return nativeFms(a, b, c);
  } else {
    return nativeFnma(a, b, c);
  }
}

template <typename V>
inline V vfma(const V& a, const V& b, const V& c) {
  return fused<FusedOp::kFma>(a, b, c);
}
template <typename V>
inline V vfms(const V& a, const V& b, const V& c) {
  return fused<FusedOp::kFms>(a, b, c);
}
template <typename V>
inline V vfnma(const V& a, const V& b, const V& c) {
  return fused<FusedOp::kFnma>(a, b, c);
}

// e^x split as 2^n·e^r, x = n·ln2 + r with |r| ≤ ln2/2, on any float vector type V whose integer
// lanes are I (Cephes' expf, about 1 ulp): n by the 1.5·2²³ rounding trick, r with ln2 in two parts
// (the high part has 9 bits, so n times it is exact), e^r by a degree-7 polynomial. For |x| below
// about 2²²; the caller applies 2^n (from exponent bits) as its range needs. Shared by attention's
// softmax and GELU's Gaussian.
template <typename V, typename I>
struct ExpParts {
  V mantissa;  // e^r
  I n;
};

template <typename I, typename V>
inline ExpParts<V, I> expParts(const V& x) {
  const V magic = vsplat<V>(12582912.0f);  // 1.5·2^23: adding it rounds to an integer
  const V shifted = vfma(x, vsplat<V>(1.44269504088896341f), magic);
  const V n = shifted - magic;
  V r = vfnma(n, vsplat<V>(0.693359375f), x);
  r = vfnma(n, vsplat<V>(-2.12194440e-4f), r);
  V p = vsplat<V>(1.9875691500e-4f);
  p = vfma(p, r, vsplat<V>(1.3981999507e-3f));
  p = vfma(p, r, vsplat<V>(8.3334519073e-3f));
  p = vfma(p, r, vsplat<V>(4.1665795894e-2f));
  p = vfma(p, r, vsplat<V>(1.6666665459e-1f));
  p = vfma(p, r, vsplat<V>(5.0000001201e-1f));
  return {vfma(p, r * r, r) + vsplat<V>(1.0f), vbitcast<I>(shifted) - vbitcast<I>(magic)};
}

// ---- horizontal operations ------------------------------------------------------------------------

// The lane-wise sum of a vector's two halves (lanes i and i + n/2): the first step of every tree below.
template <typename V>
inline auto halvesSum(const V& v) {
  if constexpr (IsPair<V>::value) {
    return v.lo + v.hi;
  } else {
    const auto halves = splitNative(v);
    return halves.first + halves.second;
  }
}

// Horizontal sum in a fixed tree: lanes i and i + n/2 first, then i and i + n/4, ..., down to four
// lanes s, and (s0 + s2) + (s1 + s3). The result depends only on the lanes, never on the build.
template <typename V>
inline auto vsumOf(const V& v) {
  if constexpr (lanesOf<V>() > 4) {
    return vsumOf(halvesSum(v));
  } else {
#if defined(CSP_HAS_SHUFFLEVECTOR)
    if constexpr (!IsPair<V>::value) {
      const V s2 = v + __builtin_shufflevector(v, v, 2, 3, 2, 3);
      return s2[0] + s2[1];
    }
#endif
    return (lane(v, 0) + lane(v, 2)) + (lane(v, 1) + lane(v, 3));
  }
}

inline float vsum(const vf& v) { return vsumOf(v); }
inline double vsumD(const vd& v) { return vsumOf(v); }

// The largest lane (max is exact: the order does not matter).
template <typename V>
inline auto hmaxOf(const V& v) {
  if constexpr (lanesOf<V>() > 4) {
    if constexpr (IsPair<V>::value) {
      return hmaxOf(vmaxOf(v.lo, v.hi));
    } else {
      const auto halves = splitNative(v);
      const auto a = halves.first, b = halves.second;
      return hmaxOf(a > b ? a : b);
    }
  } else {
    const auto a = lane(v, 0) > lane(v, 1) ? lane(v, 0) : lane(v, 1);
    const auto b = lane(v, 2) > lane(v, 3) ? lane(v, 2) : lane(v, 3);
    return a > b ? a : b;
  }
}

inline float hmax(const vf& v) { return hmaxOf(v); }
inline int32_t hmax(const vi& v) { return hmaxOf(v); }

// 0, 1, ..., kVL − 1 as floats.
inline vf laneIndex() {
  float lanes[kVL];
  for (int l = 0; l < kVL; l++) lanes[l] = static_cast<float>(l);
  return vload(lanes);
}

#if defined(CSP_HAS_SHUFFLEVECTOR)
// One level of the recursive N×N block transpose of native N-lane vectors: for rows a = i and
// b = i + K, a keeps its even K-wide column blocks and takes b's even ones; b gets the odd blocks of both.
constexpr int lowIndex(int N, int K, int j) { return (j % (2 * K)) < K ? j : N + j - K; }
constexpr int highIndex(int N, int K, int j) { return (j % (2 * K)) < K ? j + K : N + j; }

template <int K, typename V, int... J>
inline void swapBlocks(V& a, V& b, std::integer_sequence<int, J...>) {
  constexpr int N = static_cast<int>(sizeof...(J));
  const V lo = __builtin_shufflevector(a, b, lowIndex(N, K, J)...);
  const V hi = __builtin_shufflevector(a, b, highIndex(N, K, J)...);
  a = lo;
  b = hi;
}

// r[i] += r[i + K] after swapping blocks, for i < K: one level of a batched horizontal sum.
template <int K, typename V>
inline void reduceLevel(V* r) {
  for (int i = 0; i < K; i++) {
    V a = r[i], b = r[i + K];
    swapBlocks<K>(a, b, std::make_integer_sequence<int, lanesOf<V>()>{});
    r[i] = a + b;
  }
}
#endif

#if defined(__AVX__) && !defined(__AVX512F__) && defined(CSP_HAS_SHUFFLEVECTOR)
// AVX/AVX2 builds: eight horizontal sums at once. Lane j of the result is vsum(r[j]), in exactly
// vsum's tree (the halves first, then lanes i and i + 4, i + 2, i + 1 of the 8-lane sum).
#define CSP_VSUM8 1
typedef NativeOf<float, 8> f32x8;
inline f32x8 vsum8(const vf r[8]) {
  f32x8 h[8];
  for (int j = 0; j < 8; j++) h[j] = r[j].lo + r[j].hi;
  reduceLevel<4>(h);
  reduceLevel<2>(h);
  reduceLevel<1>(h);
  return h[0];
}
#endif

#if defined(__AVX512F__) && defined(CSP_HAS_SHUFFLEVECTOR)
// AVX-512 builds: in-register 16×16 transposes and sixteen horizontal sums at once, on native vf.
// (Other builds take the kernels' plain paths, which compute the same values.)
#define CSP_TRANSPOSE16 1

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

// Batched horizontal sums where the build has them: lane j of vsumBatch(r) is vsum(r[j]), for
// kBatchSums vectors r (16 on AVX-512, 8 on AVX/AVX2), as one native vector SumBatch.
#if defined(CSP_TRANSPOSE16)
#define CSP_BATCHED_SUMS 1
constexpr int kBatchSums = 16;
typedef vf SumBatch;
inline SumBatch vsumBatch(vf r[16]) { return vsum16(r); }
#elif defined(CSP_VSUM8)
#define CSP_BATCHED_SUMS 1
constexpr int kBatchSums = 8;
typedef f32x8 SumBatch;
inline SumBatch vsumBatch(vf r[8]) { return vsum8(r); }
#endif

#if defined(__AVX__)
// In-register transpose of an 8×8 tile: r[i][j] -> r[j][i].
inline void transpose8x8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]);
  const __m256 t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]);
  const __m256 t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]);
  const __m256 t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]);
  const __m256 t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
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
