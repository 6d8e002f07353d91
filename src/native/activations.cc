#include "activations.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "thread_pool.h"

namespace csp {

void absTopK(float* x, int n, int d, int k, uint8_t* kept) {
  if (k >= d) {
    std::fill(kept, kept + static_cast<int64_t>(n) * d, uint8_t{1});
    return;
  }
  // The same container, comparator and algorithm as aten's topk_impl_loop (accscalar_t = double), so
  // ties among equal magnitudes resolve to the same indices as the reference.
  using Elem = std::pair<double, int64_t>;
  std::vector<Elem> queue(d);
  for (int i = 0; i < n; i++) {
    float* row = x + static_cast<int64_t>(i) * d;
    uint8_t* keep = kept + static_cast<int64_t>(i) * d;
    for (int j = 0; j < d; j++) queue[j] = Elem(std::fabs(static_cast<double>(row[j])), j);
    std::fill(keep, keep + d, uint8_t{0});
    if (k > 0) {
      std::nth_element(queue.begin(), queue.begin() + (k - 1), queue.end(), [](const Elem& a, const Elem& b) {
        return (std::isnan(a.first) && !std::isnan(b.first)) || (a.first > b.first);
      });
      for (int j = 0; j < k; j++) keep[queue[j].second] = 1;
    }
    for (int j = 0; j < d; j++)
      if (!keep[j]) row[j] = 0.0f;
  }
}

void geluForward(const float* x, float* out, int64_t size) {
  for (int64_t i = 0; i < size; i++) {
    const double v = x[i];
    out[i] = static_cast<float>(0.5 * v * (1.0 + std::erf(v * M_SQRT1_2)));
  }
}

void geluBackward(const float* x, const float* dy, float* dx, int64_t size) {
  const double invSqrt2Pi = 0.3989422804014327;
  for (int64_t i = 0; i < size; i++) {
    const double v = x[i];
    const double cdf = 0.5 * (1.0 + std::erf(v * M_SQRT1_2));
    dx[i] = static_cast<float>(dy[i] * (cdf + v * invSqrt2Pi * std::exp(-0.5 * v * v)));
  }
}

}  // namespace csp
