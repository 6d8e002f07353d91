// Causal softmax attention with an optional per-head sink logit (see src/model/layers/attention.ts,
// the TypeScript oracle with the same formulas). q, k, v, y: [b, t, nHead·dHead]; probs [b, nHead, t, t];
// pSink [b, nHead, t] (may be null without a sink).
#pragma once

namespace csp {

struct AttentionDims {
  int b, t, nHead, dHead;
};

void attentionForward(const AttentionDims& d, const float* q, const float* k, const float* v, const float* sink,
                      float* y, float* probs, float* pSink);

// dq, dk, dv are written; dSink (if not null) is accumulated.
void attentionBackward(const AttentionDims& d, const float* dy, const float* q, const float* k, const float* v,
                       const float* probs, const float* pSink, float* dq, float* dk, float* dv, float* dSink);

}  // namespace csp
