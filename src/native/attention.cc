#include "attention.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "thread_pool.h"

namespace csp {

namespace {
// Work splits over (batch, head) pairs: each pair's outputs are written by one thread in a fixed
// order, so results do not depend on the thread count.
int threadsFor(int64_t flops) { return flops > 2000000 ? threadCount() : 1; }
}  // namespace

void attentionForward(const AttentionDims& d, const float* q, const float* k, const float* v, const float* sink,
                      float* y, float* probs, float* pSink) {
  const int t = d.t, H = d.nHead, dh = d.dHead, D = H * dh;
  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
  const int64_t flops = static_cast<int64_t>(d.b) * H * t * t * dh * 2;
  parallelFor(d.b * H, threadsFor(flops), [&](int pair) {
    const int bi = pair / H, h = pair % H;
    float* P = probs + static_cast<int64_t>(pair) * t * t;
    std::vector<double> s(t);
    for (int i = 0; i < t; i++) {
      const float* qi = q + (static_cast<int64_t>(bi) * t + i) * D + h * dh;
      double mx = sink ? static_cast<double>(sink[h]) : -INFINITY;
      for (int j = 0; j <= i; j++) {
        const float* kj = k + (static_cast<int64_t>(bi) * t + j) * D + h * dh;
        double acc = 0;
        for (int c = 0; c < dh; c++) acc += static_cast<double>(qi[c]) * kj[c];
        s[j] = acc * scale;
        mx = std::max(mx, s[j]);
      }
      const double zSink = sink ? std::exp(static_cast<double>(sink[h]) - mx) : 0.0;
      double z = zSink;
      for (int j = 0; j <= i; j++) {
        s[j] = std::exp(s[j] - mx);
        z += s[j];
      }
      const double inv = 1.0 / z;
      if (pSink) pSink[static_cast<int64_t>(pair) * t + i] = static_cast<float>(zSink * inv);
      float* yi = y + (static_cast<int64_t>(bi) * t + i) * D + h * dh;
      std::vector<double> acc(dh, 0.0);
      for (int j = 0; j <= i; j++) {
        const double p = s[j] * inv;
        P[static_cast<int64_t>(i) * t + j] = static_cast<float>(p);
        const float* vj = v + (static_cast<int64_t>(bi) * t + j) * D + h * dh;
        for (int c = 0; c < dh; c++) acc[c] += p * vj[c];
      }
      for (int c = 0; c < dh; c++) yi[c] = static_cast<float>(acc[c]);
      for (int j = i + 1; j < t; j++) P[static_cast<int64_t>(i) * t + j] = 0.0f;
    }
  });
}

void attentionBackward(const AttentionDims& d, const float* dy, const float* q, const float* k, const float* v,
                       const float* probs, const float* pSink, float* dq, float* dk, float* dv, float* dSink) {
  const int t = d.t, H = d.nHead, dh = d.dHead, D = H * dh;
  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
  const int64_t flops = static_cast<int64_t>(d.b) * H * t * t * dh * 4;
  // Per-pair sink gradients are summed afterwards in pair order, keeping the result thread-independent.
  std::vector<double> sinkParts(static_cast<size_t>(d.b) * H, 0.0);
  parallelFor(d.b * H, threadsFor(flops), [&](int pair) {
    const int bi = pair / H, h = pair % H;
    const float* P = probs + static_cast<int64_t>(pair) * t * t;
    std::vector<double> dp(t), dqAcc(dh), dkAcc(static_cast<size_t>(t) * dh, 0.0), dvAcc(static_cast<size_t>(t) * dh, 0.0);
    double sinkSum = 0;
    for (int i = 0; i < t; i++) {
      const int64_t rowI = (static_cast<int64_t>(bi) * t + i) * D + h * dh;
      double sum = 0;
      for (int j = 0; j <= i; j++) {
        const int64_t rowJ = (static_cast<int64_t>(bi) * t + j) * D + h * dh;
        double acc = 0;
        for (int c = 0; c < dh; c++) acc += static_cast<double>(dy[rowI + c]) * v[rowJ + c];
        dp[j] = acc;
        const double p = P[static_cast<int64_t>(i) * t + j];
        sum += p * acc;
        for (int c = 0; c < dh; c++) dvAcc[static_cast<size_t>(j) * dh + c] += p * dy[rowI + c];
      }
      if (pSink) sinkSum -= static_cast<double>(pSink[static_cast<int64_t>(pair) * t + i]) * sum;
      std::fill(dqAcc.begin(), dqAcc.end(), 0.0);
      for (int j = 0; j <= i; j++) {
        const double ds = P[static_cast<int64_t>(i) * t + j] * (dp[j] - sum) * scale;
        if (ds == 0) continue;
        const int64_t rowJ = (static_cast<int64_t>(bi) * t + j) * D + h * dh;
        for (int c = 0; c < dh; c++) {
          dqAcc[c] += ds * k[rowJ + c];
          dkAcc[static_cast<size_t>(j) * dh + c] += ds * q[rowI + c];
        }
      }
      for (int c = 0; c < dh; c++) dq[rowI + c] = static_cast<float>(dqAcc[c]);
    }
    for (int j = 0; j < t; j++) {
      const int64_t rowJ = (static_cast<int64_t>(bi) * t + j) * D + h * dh;
      for (int c = 0; c < dh; c++) {
        dk[rowJ + c] = static_cast<float>(dkAcc[static_cast<size_t>(j) * dh + c]);
        dv[rowJ + c] = static_cast<float>(dvAcc[static_cast<size_t>(j) * dh + c]);
      }
    }
    sinkParts[pair] = sinkSum;
  });
  if (dSink) {
    for (int pair = 0; pair < d.b * H; pair++) dSink[pair % H] += static_cast<float>(sinkParts[pair]);
  }
}

}  // namespace csp
