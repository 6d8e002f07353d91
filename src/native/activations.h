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

// out = x·Φ(x) with the exact erf (torch.nn.GELU()): the float64 formula's value to ~2e-10
// relative, rounded once to float (more accurate than 0.5·x·(1 + erf(x/√2)) for x < −5, where that
// formula cancels). Elementwise and parallel; the result does not depend on the thread count.
void geluForward(const float* x, float* out, int64_t size);

// dx = dy·(Φ(x) + x·φ(x)), to the same accuracy.
void geluBackward(const float* x, const float* dy, float* dx, int64_t size);

}  // namespace csp
