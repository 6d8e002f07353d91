import type { Backend } from "../backend/backend.js";
import { forward } from "../model/gpt.js";
import type { Model } from "../model/model.js";
import { Rng } from "../random/rng.js";

export interface SampleOptions {
  /** Tokens to generate. */
  maxNewTokens: number;
  /** Softmax temperature; 0 = greedy (argmax). */
  temperature: number;
  /** Sample only among the k most likely tokens; 0 = all. */
  topK: number;
  seed: number;
  /**
   * Longest context fed to the model. Training predicts from the first n_ctx − 1 positions only, so
   * the default is n_ctx − 1 of the run (or block_size − 1): the last position was never trained.
   */
  contextLength: number;
  /** Stop early when this id is produced (not included in the output). */
  stopToken?: number;
  backend?: Backend;
}

/**
 * Autoregressive sampling, as gpt.py's generate(): crop the context, take the last position's logits,
 * divide by the temperature, keep the top k, softmax, draw. Seeded: the same seed gives the same text.
 */
export function sampleTokens(model: Model, prompt: readonly number[], o: SampleOptions): number[] {
  if (prompt.length === 0) throw new Error("sampleTokens: the prompt must hold at least one token");
  const rng = new Rng(o.seed);
  const V = model.dims.vocab;
  const ids = [...prompt];
  const out: number[] = [];
  const probs = new Float64Array(V);
  for (let step = 0; step < o.maxNewTokens; step++) {
    const ctx = ids.slice(-o.contextLength);
    const { logits } = forward(model, Int32Array.from(ctx), 1, ctx.length, { backend: o.backend });
    const last = logits.data.subarray((ctx.length - 1) * V, ctx.length * V);
    const next = o.temperature === 0 ? argmax(last) : draw(last, o, probs, rng);
    if (next === o.stopToken) break;
    ids.push(next);
    out.push(next);
  }
  return out;
}

function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

function draw(logits: ArrayLike<number>, o: SampleOptions, probs: Float64Array, rng: Rng): number {
  const V = logits.length;
  let cutoff = -Infinity;
  if (o.topK > 0 && o.topK < V) {
    const sorted = Float64Array.from(logits).sort();
    cutoff = sorted[V - o.topK];
  }
  let max = -Infinity;
  for (let i = 0; i < V; i++) if (logits[i] >= cutoff && logits[i] > max) max = logits[i];
  let z = 0;
  for (let i = 0; i < V; i++) {
    probs[i] = logits[i] >= cutoff ? Math.exp((logits[i] - max) / o.temperature) : 0;
    z += probs[i];
  }
  let u = rng.uniform() * z;
  for (let i = 0; i < V; i++) {
    u -= probs[i];
    if (u < 0 && probs[i] > 0) return i;
  }
  // Rounding left a sliver of mass: return the last token with nonzero probability.
  for (let i = V - 1; i >= 0; i--) if (probs[i] > 0) return i;
  return 0;
}
