#include "token_layout.h"

#include "simd.h"

namespace csp {

// Both directions work on tiles of 16 tokens × 16 features (AVX-512; 16 × 8 with AVX alone): each
// token row and each feature row of T is read or written in whole 64-byte lines. That matters
// because token rows are often a power of two apart, so the 16 rows of a tile share one L1 set and a
// half-used line would be evicted before its other half is touched. Leftover tokens and features
// take scalar loops.
void packTokenMinor(const float* src, size_t ld, int nt, int c0, int c1, int mb, float* T) {
  const int width = c1 - c0;
  src += c0;
  int t = 0;
#if defined(__AVX__)
  for (; t + 16 <= nt; t += 16) {
    const float* rows = src + t * ld;
    int c = 0;
#if defined(CSP_TRANSPOSE16)
    for (; c + 16 <= width; c += 16) {
      vf r[16];
      for (int i = 0; i < 16; i++) r[i] = vload(rows + i * ld + c);
      transpose16x16(r);
      float* out = T + static_cast<size_t>(c) * mb + t;
      for (int j = 0; j < 16; j++) vstore(out + static_cast<size_t>(j) * mb, r[j]);
    }
#endif
    for (; c + 8 <= width; c += 8) {
      __m256 lo[8], hi[8];
      for (int i = 0; i < 8; i++) lo[i] = _mm256_loadu_ps(rows + i * ld + c);
      for (int i = 0; i < 8; i++) hi[i] = _mm256_loadu_ps(rows + (i + 8) * ld + c);
      transpose8x8(lo);
      transpose8x8(hi);
      float* out = T + static_cast<size_t>(c) * mb + t;
      for (int j = 0; j < 8; j++) {
        _mm256_storeu_ps(out + static_cast<size_t>(j) * mb, lo[j]);
        _mm256_storeu_ps(out + static_cast<size_t>(j) * mb + 8, hi[j]);
      }
    }
    for (; c < width; c++) {
      for (int i = 0; i < 16; i++) T[static_cast<size_t>(c) * mb + t + i] = rows[i * ld + c];
    }
  }
#endif
  for (; t < nt; t++) {
    const float* row = src + t * ld;
    for (int c = 0; c < width; c++) T[static_cast<size_t>(c) * mb + t] = row[c];
  }
  if (nt < mb) {
    for (int c = 0; c < width; c++) {
      for (int u = nt; u < mb; u++) T[static_cast<size_t>(c) * mb + u] = 0.0f;
    }
  }
}

void unpackTokenMinor(const float* T, int mb, int nt, float* dst, size_t ld, int c0, int c1, bool accumulate) {
  const int width = c1 - c0;
  dst += c0;
  int t = 0;
#if defined(__AVX__)
  for (; t + 16 <= nt; t += 16) {
    float* rows = dst + t * ld;
    int c = 0;
#if defined(CSP_TRANSPOSE16)
    for (; c + 16 <= width; c += 16) {
      vf r[16];
      const float* in = T + static_cast<size_t>(c) * mb + t;
      for (int j = 0; j < 16; j++) r[j] = vload(in + static_cast<size_t>(j) * mb);
      transpose16x16(r);
      for (int i = 0; i < 16; i++) {
        float* d = rows + i * ld + c;
        vstore(d, accumulate ? vload(d) + r[i] : r[i]);
      }
    }
#endif
    for (; c + 8 <= width; c += 8) {
      __m256 lo[8], hi[8];
      const float* in = T + static_cast<size_t>(c) * mb + t;
      for (int j = 0; j < 8; j++) {
        lo[j] = _mm256_loadu_ps(in + static_cast<size_t>(j) * mb);
        hi[j] = _mm256_loadu_ps(in + static_cast<size_t>(j) * mb + 8);
      }
      transpose8x8(lo);
      transpose8x8(hi);
      for (int i = 0; i < 16; i++) {
        float* d = rows + i * ld + c;
        const __m256 v = i < 8 ? lo[i] : hi[i - 8];
        _mm256_storeu_ps(d, accumulate ? _mm256_add_ps(_mm256_loadu_ps(d), v) : v);
      }
    }
    for (; c < width; c++) {
      for (int i = 0; i < 16; i++) {
        const float v = T[static_cast<size_t>(c) * mb + t + i];
        float& d = rows[i * ld + c];
        d = accumulate ? d + v : v;
      }
    }
  }
#endif
  for (; t < nt; t++) {
    float* row = dst + t * ld;
    for (int c = 0; c < width; c++) {
      const float v = T[static_cast<size_t>(c) * mb + t];
      row[c] = accumulate ? row[c] + v : v;
    }
  }
}

}  // namespace csp
