import { setBackend } from "../../src/backend/index.js";
import { nativeThreads } from "../../src/backend/native.js";
import { loadModel } from "../../src/model/checkpoint.js";
import { forward } from "../../src/model/gpt.js";
import { DEFAULT_SPARSE_THRESHOLD } from "../../src/model/sparse_weights.js";

/**
 * Our side of the inference benchmark, behind one small interface so that the measured path can be
 * swapped when the engine gains a faster one: a new implementation goes here and OURS_INFERENCE points
 * to it; the harness does not change.
 */
export interface OursInference {
  /** Short id stored in results.json (e.g. "engine-default"). */
  readonly name: string;
  /** One line for RESULTS.md: what code path this is. */
  readonly description: string;
  /** Loads a checkpoint directory (config.json + model.safetensors) with the engine's own loader. */
  load(dir: string, threads: number): OursModel;
}

export interface OursModel {
  /** Logits [b, t, vocab] for ids [b·t]. */
  forward(ids: Int32Array, b: number, t: number): Float32Array;
  /** Activations at every AbsTopK site (reference hook names), for diagnosing a logit difference. */
  topkSites?(ids: Int32Array, b: number, t: number): Map<string, { shape: number[]; data: Float32Array }>;
}

/** The reference hooks that follow an AbsTopK (spec A.3), per layer. */
export const TOPK_SITE_HOOKS = /^\d+\.(attn\.(act_in|k|q|v|resid_delta)|mlp\.(act_in|post_act|resid_delta))$/;

/**
 * The engine's forward as a user gets it: loadModel, then gpt.ts forward on the native backend at its
 * default sparseThreshold. Matrices stored sparse are loaded as CSR and never built dense; those at most
 * the threshold dense run on the CSR kernels (spmmNT), the rest on dense GEMM.
 */
export const engineInference: OursInference = {
  name: "engine-default",
  description: `src/model/gpt.ts forward, native backend, default sparseThreshold ${DEFAULT_SPARSE_THRESHOLD}: loadModel keeps matrices stored sparse as CSR (never built dense); those at most that dense run on CSR spmmNT, others on dense GEMM; per-layer buffers reused across layers`,
  load(dir, threads) {
    setBackend("native");
    nativeThreads(threads);
    const model = loadModel(dir);
    return {
      forward: (ids, b, t) => forward(model, ids, b, t).logits.data as Float32Array,
      topkSites(ids, b, t) {
        const hooks = forward(model, ids, b, t, { record: TOPK_SITE_HOOKS }).hooks;
        return new Map(
          [...hooks].map(([k, v]) => [k, { shape: [...v.shape], data: v.data as Float32Array }]),
        );
      },
    };
  },
};

/** The path the benchmark measures. Point this at a faster path when one lands. */
export const OURS_INFERENCE: OursInference = engineInference;
