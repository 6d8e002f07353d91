// Elementwise and per-row activation kernels of the model (AbsTopK, erf-GELU).
#pragma once
#include <cstdint>

namespace csp {

// Per row of x [n, d]: keep the k entries of largest |x|, chosen exactly as PyTorch's CPU topk does
// (std::nth_element over (|x| as double, index) pairs with "a > b"), zero the rest; kept[] gets 1/0.
// Rows whose kept set is unique are found by a radix select on |x|'s bits; only rows where equal
// magnitudes straddle the boundary (or that hold a NaN) replay nth_element. Parallel over rows;
// the result does not depend on the thread count.
void absTopK(float* x, int n, int d, int k, uint8_t* kept);

// out = x·Φ(x) with the exact erf (torch.nn.GELU()), computed in float32 to within 4e-7 relative
// of the exact value, tail included (0.5·x·(1 + erf(x/√2)) cancels for x < −5; this does not).
// Elementwise and parallel; the result depends neither on the thread count nor on the build.
void geluForward(const float* x, float* out, int64_t size);

// dx = dy·(Φ(x) + x·φ(x)), within 4e-7 relative plus 2e-7·|dy| (cancellation near its root, x ≈ −0.75).
void geluBackward(const float* x, const float* dy, float* dx, int64_t size);

}  // namespace csp
