import { allocLike, type FloatArray } from "../../tensor/tensor.js";

/** A scalar loss and its gradients with respect to both inputs. */
export interface PairLoss {
  loss: number;
  dPred: FloatArray;
  dTarget: FloatArray;
}

/**
 * Normalised MSE, Σ(pred − target)² / Σ target², over all entries (the paper's bridge reconstruction
 * term). Both gradients are exact (the normaliser is differentiated too), each scaled by `weight`.
 */
export function nmse(pred: FloatArray, target: FloatArray, weight = 1): PairLoss {
  if (pred.length !== target.length) throw new Error(`nmse: ${pred.length} vs ${target.length} values`);
  let err = 0;
  let norm = 0;
  for (let i = 0; i < pred.length; i++) {
    const d = pred[i] - target[i];
    err += d * d;
    norm += target[i] * target[i];
  }
  norm = Math.max(norm, 1e-30);
  const loss = err / norm;
  const dPred = allocLike(pred, pred.length);
  const dTarget = allocLike(target, target.length);
  for (let i = 0; i < pred.length; i++) {
    const g = (2 * (pred[i] - target[i])) / norm;
    dPred[i] = weight * g;
    dTarget[i] = weight * (-g - (2 * target[i] * loss) / norm);
  }
  return { loss: weight * loss, dPred, dTarget };
}

/**
 * KL(p_target ‖ p_pred) with p = softmax over the last dimension (width v) of logits, averaged over rows:
 * the hybrid runs' distance from the dense model's next-token distribution. dPred / dTarget are the
 * gradients w.r.t. the two logit arrays, scaled by `weight`.
 */
export function klDivergence(
  predLogits: FloatArray,
  targetLogits: FloatArray,
  v: number,
  weight = 1,
): PairLoss {
  const rows = predLogits.length / v;
  const dPred = allocLike(predLogits, predLogits.length);
  const dTarget = allocLike(targetLogits, targetLogits.length);
  const logP = new Float64Array(v);
  const logQ = new Float64Array(v);
  const p = new Float64Array(v);
  let total = 0;
  const s = weight / rows;
  for (let r = 0; r < rows; r++) {
    logSoftmax(targetLogits, r * v, v, logP);
    logSoftmax(predLogits, r * v, v, logQ);
    let kl = 0;
    for (let j = 0; j < v; j++) {
      p[j] = Math.exp(logP[j]);
      kl += p[j] * (logP[j] - logQ[j]);
    }
    total += kl;
    for (let j = 0; j < v; j++) {
      dPred[r * v + j] = s * (Math.exp(logQ[j]) - p[j]);
      dTarget[r * v + j] = s * p[j] * (logP[j] - logQ[j] - kl);
    }
  }
  return { loss: (weight * total) / rows, dPred, dTarget };
}

function logSoftmax(x: FloatArray, offset: number, v: number, out: Float64Array): void {
  let max = -Infinity;
  for (let j = 0; j < v; j++) max = Math.max(max, x[offset + j]);
  let sum = 0;
  for (let j = 0; j < v; j++) sum += Math.exp(x[offset + j] - max);
  const lse = max + Math.log(sum);
  for (let j = 0; j < v; j++) out[j] = x[offset + j] - lse;
}
