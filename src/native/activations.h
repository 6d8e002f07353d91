// Elementwise and per-row activation kernels of the model (AbsTopK, erf-GELU).
#pragma once
#include <cstdint>

namespace csp {

// Per row of x [n, d]: keep the k entries of largest |x|, chosen exactly as PyTorch's CPU topk does
// (std::nth_element over (|x| as double, index) pairs with "a > b"), zero the rest; kept[] gets 1/0.
void absTopK(float* x, int n, int d, int k, uint8_t* kept);

// out = x·Φ(x) with the exact erf (torch.nn.GELU()).
void geluForward(const float* x, float* out, int64_t size);

// dx = dy·(Φ(x) + x·φ(x)).
void geluBackward(const float* x, const float* dy, float* dx, int64_t size);

}  // namespace csp
