import type { AttentionDims } from "../backend.js";
import type { FloatArray } from "../../tensor/tensor.js";

// The TypeScript oracle of the native attention kernels (src/native/attention.cc).

/**
 * Causal softmax attention, scale 1/√dh. With `sink` [H], each head has a virtual key at slot 0 with
 * logit sink[h], key 0 and value 0, always visible:
 *   y_i = Σ_{j≤i} e^{s_ij} v_j / (e^{sink_h} + Σ_{j≤i} e^{s_ij}).
 * Saves the probabilities p [B, H, T, T] (row i, cols j ≤ i; zeros above the diagonal) unless `probs`
 * is undefined (inference, which needs no backward), and, with a sink, pSink [B, H, T].
 */
export function attentionForward(
  dims: AttentionDims,
  q: FloatArray,
  k: FloatArray,
  v: FloatArray,
  sink: FloatArray | undefined,
  y: FloatArray,
  probs: FloatArray | undefined,
  pSink: FloatArray | undefined,
): void {
  const { b, t, nHead, dHead } = dims;
  const D = nHead * dHead;
  const scale = 1 / Math.sqrt(dHead);
  y.fill(0, 0, b * t * D);
  // One row of scores, then of exps, in float64 whatever the arrays' type.
  const row = new Float64Array(t);
  for (let bi = 0; bi < b; bi++) {
    for (let h = 0; h < nHead; h++) {
      const pBase = (bi * nHead + h) * t * t;
      for (let i = 0; i < t; i++) {
        const qOff = (bi * t + i) * D + h * dHead;
        let max = sink ? sink[h] : -Infinity;
        for (let j = 0; j <= i; j++) {
          const kOff = (bi * t + j) * D + h * dHead;
          let s = 0;
          for (let c = 0; c < dHead; c++) s += q[qOff + c] * k[kOff + c];
          s *= scale;
          row[j] = s;
          if (s > max) max = s;
        }
        let z = sink ? Math.exp(sink[h] - max) : 0;
        const zSink = z;
        for (let j = 0; j <= i; j++) {
          const e = Math.exp(row[j] - max);
          row[j] = e;
          z += e;
        }
        const inv = 1 / z;
        if (pSink) pSink[(bi * nHead + h) * t + i] = zSink * inv;
        const yOff = (bi * t + i) * D + h * dHead;
        for (let j = 0; j <= i; j++) {
          const p = row[j] * inv;
          if (probs) probs[pBase + i * t + j] = p;
          const vOff = (bi * t + j) * D + h * dHead;
          for (let c = 0; c < dHead; c++) y[yOff + c] += p * v[vOff + c];
        }
        if (probs) probs.fill(0, pBase + i * t + i + 1, pBase + (i + 1) * t);
      }
    }
  }
}

/**
 * Backward of attentionForward. With dp_ij = dy_i·v_j and S_i = Σ_j p_ij dp_ij (the sink's value is 0):
 * ds_ij = p_ij(dp_ij − S_i), dsink_h += −Σ_i pSink_i·S_i; dq_i = scale Σ_j ds_ij k_j,
 * dk_j = scale Σ_i ds_ij q_i, dv_j = Σ_i p_ij dy_i. dq, dk, dv are written, dSink accumulated.
 */
export function attentionBackward(
  dims: AttentionDims,
  dy: FloatArray,
  q: FloatArray,
  k: FloatArray,
  v: FloatArray,
  probs: FloatArray,
  pSink: FloatArray | undefined,
  dq: FloatArray,
  dk: FloatArray,
  dv: FloatArray,
  dSink: FloatArray | undefined,
): void {
  const { b, t, nHead, dHead } = dims;
  const D = nHead * dHead;
  const scale = 1 / Math.sqrt(dHead);
  dq.fill(0, 0, b * t * D);
  dk.fill(0, 0, b * t * D);
  dv.fill(0, 0, b * t * D);
  const dp = new Float64Array(t);
  for (let bi = 0; bi < b; bi++) {
    for (let h = 0; h < nHead; h++) {
      const pBase = (bi * nHead + h) * t * t;
      for (let i = 0; i < t; i++) {
        const yOff = (bi * t + i) * D + h * dHead;
        let sum = 0;
        for (let j = 0; j <= i; j++) {
          const vOff = (bi * t + j) * D + h * dHead;
          let s = 0;
          for (let c = 0; c < dHead; c++) s += dy[yOff + c] * v[vOff + c];
          dp[j] = s;
          const p = probs[pBase + i * t + j];
          sum += p * s;
          for (let c = 0; c < dHead; c++) dv[vOff + c] += p * dy[yOff + c];
        }
        if (dSink && pSink) dSink[h] -= pSink[(bi * nHead + h) * t + i] * sum;
        const qOff = yOff;
        for (let j = 0; j <= i; j++) {
          const ds = probs[pBase + i * t + j] * (dp[j] - sum) * scale;
          if (ds === 0) continue;
          const kOff = (bi * t + j) * D + h * dHead;
          for (let c = 0; c < dHead; c++) {
            dq[qOff + c] += ds * k[kOff + c];
            dk[kOff + c] += ds * q[qOff + c];
          }
        }
      }
    }
  }
}
