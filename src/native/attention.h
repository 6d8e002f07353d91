// Causal softmax attention with an optional per-head sink logit (see src/backend/ts/attention.ts,
// the TypeScript oracle with the same formulas), in float32. q, k, v, y: [b, t, nHead·dHead];
// probs [b, nHead, t, t]; pSink [b, nHead, t] (may be null without a sink).
#pragma once

#include "simd.h"

namespace csp {

struct AttentionDims {
  int b, t, nHead, dHead;
};

// probs may be null (inference keeps no probabilities: the t×t matrices are then never written).
// Returns false if scratch memory ran out (nothing useful was written then).
bool attentionForward(const AttentionDims& d, const float* q, const float* k, const float* v, const float* sink,
                      float* y, float* probs, float* pSink);

// dq, dk, dv are written; dSink (if not null) is accumulated. Only probs[i, j ≤ i] are read.
// Returns false if scratch memory ran out.
bool attentionBackward(const AttentionDims& d, const float* dy, const float* q, const float* k, const float* v,
                       const float* probs, const float* pSink, float* dq, float* dk, float* dv, float* dSink);

// e^x for x ≤ 0 on every lane, as the softmax uses it (exposed so its accuracy can be checked).
vf attentionExp(vf x);

}  // namespace csp
