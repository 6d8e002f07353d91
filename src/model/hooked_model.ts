import type { Backend } from "../backend/index.js";
import { CspError } from "../errors.js";
import type { Tensor } from "../tensor/tensor.js";
import { loadModel } from "./checkpoint.js";
import type { GPTConfig, ModelDims } from "./config.js";
import { backward, forward, type ForwardOptions } from "./gpt.js";
import { hookPattern, type HookFilter } from "./hook_filter.js";
import { hookNames, type Intervention } from "./hooks.js";
import type { Model } from "./model.js";
import { tokenBatch, type TokenInput } from "./token_input.js";
import { editWeights, readWeight, writeWeight } from "./weight_edits.js";

/** Interventions by hook name ("0.attn.q", "final_resid", ...): a Map or a plain object. */
export type Interventions = ReadonlyMap<string, Intervention> | Readonly<Record<string, Intervention>>;

export interface HookedModelOptions {
  /** The backend of every run (default: the process's, CSP_BACKEND or setBackend). */
  backend?: Backend;
  /** Linear weights at most this dense take the sparse kernels (default 0.25; 0: never, 1: always). */
  sparseThreshold?: number;
}

export interface RunOptions {
  /** Replace activations at hook points; the replacement flows downstream. */
  interventions?: Interventions;
  /** Next-token targets shaped like the tokens (-1: ignored); the result then has the mean loss. */
  targets?: TokenInput;
}

export interface RunWithCacheOptions extends RunOptions {
  /** Hook points to record (default: every one). */
  names?: HookFilter;
}

export interface GradientOptions {
  /** Hook points whose activation and gradient to return (default: every one). */
  hooks?: HookFilter;
  interventions?: Interventions;
}

export interface RunResult {
  /** [batch, seq, vocab] */
  logits: Tensor;
  /** Mean cross-entropy over the targets that are not -1, when targets were given. */
  loss?: number;
}

export interface CachedRun extends RunResult {
  /** Activations [batch, seq, width] by hook name, after any intervention at that hook. */
  cache: Map<string, Tensor>;
}

export interface GradientRun extends CachedRun {
  loss: number;
  /** d loss / d activation [batch, seq, width] at the selected hooks. */
  hookGrads: Map<string, Tensor>;
  /** d loss / d parameter for every trained parameter, by state-dict name. */
  paramGrads: Map<string, Tensor>;
}

/**
 * A GPT with TransformerLens-style entry points over the engine's forward and backward: runs with an
 * activation cache, with interventions, with gradients at hooks, and weight edits that the next run
 * always sees (see weight_edits.ts for why weights are read as copies and written through methods).
 * Hooks are passed per call; the model holds no hook state between runs.
 */
export class HookedModel {
  constructor(
    /** The plain model, for the library's other functions. Write weights through this class, not it. */
    readonly model: Model,
    private readonly options: HookedModelOptions = {},
  ) {}

  get config(): GPTConfig {
    return this.model.config;
  }

  get dims(): ModelDims {
    return this.model.dims;
  }

  /** Every hook point, in forward order. */
  get hookNames(): string[] {
    return hookNames(this.model.dims.nLayer);
  }

  /** Logits (and the loss, with targets) of one sequence or a batch. */
  run(tokens: TokenInput, options: RunOptions = {}): RunResult {
    const { logits, loss } = this.forwardPass(tokens, options, {});
    return { logits, loss };
  }

  /** Logits and the activations at the selected hook points, like TransformerLens's run_with_cache. */
  runWithCache(tokens: TokenInput, options: RunWithCacheOptions = {}): CachedRun {
    const record = hookPattern(options.names ?? (() => true), this.model.dims.nLayer);
    const { logits, loss, hooks } = this.forwardPass(tokens, options, { record });
    return { logits, loss, cache: hooks };
  }

  /** Loss against `targets` and its gradients w.r.t. the selected hook activations and every parameter. */
  runWithGrads(tokens: TokenInput, targets: TokenInput, options: GradientOptions = {}): GradientRun {
    const record = hookPattern(options.hooks ?? (() => true), this.model.dims.nLayer);
    const fwd = this.forwardPass(
      tokens,
      { targets, interventions: options.interventions },
      { record, keepCache: true, saveHookGrads: true },
    );
    const { grads, hookGrads } = backward(this.model, fwd, { backend: this.options.backend });
    return { logits: fwd.logits, loss: fwd.loss!, cache: fwd.hooks, hookGrads, paramGrads: grads };
  }

  /** The state-dict names of the parameters, in reference order. */
  weightNames(): string[] {
    return this.model.specs.map((s) => s.name);
  }

  /** A copy of a parameter: writing to it changes nothing (use setWeight or editWeights). */
  weight(name: string): Tensor<Float32Array> {
    return readWeight(this.model, name);
  }

  /** Overwrites a parameter (row-major values of its size); the next run uses the new values. */
  setWeight(name: string, values: ArrayLike<number>): void {
    writeWeight(this.model, name, values);
  }

  /** Edits parameters in place inside `edit`; the next run sees every parameter `edit` asked for. */
  editWeights<R>(edit: (weight: (name: string) => Float32Array) => R): R {
    return editWeights(this.model, edit);
  }

  private forwardPass(tokens: TokenInput, options: RunOptions, extra: ForwardOptions) {
    const { ids, b, t } = tokenBatch(tokens);
    let targets: Int32Array | undefined;
    if (options.targets !== undefined) {
      const tg = tokenBatch(options.targets, "targets");
      if (tg.b !== b || tg.t !== t)
        throw new CspError(`targets: shape [${tg.b}, ${tg.t}] differs from the tokens' [${b}, ${t}]`);
      targets = tg.ids;
    }
    return forward(this.model, ids, b, t, {
      ...extra,
      targets,
      interventions: this.interventionMap(options.interventions),
      backend: this.options.backend,
      sparseThreshold: this.options.sparseThreshold,
    });
  }

  /** Interventions as the forward takes them; a name that is no hook point would silently do nothing. */
  private interventionMap(given: Interventions | undefined): Map<string, Intervention> | undefined {
    if (given === undefined) return undefined;
    const entries = given instanceof Map ? [...given] : Object.entries(given);
    const known = new Set(this.hookNames);
    for (const [name] of entries)
      if (!known.has(name))
        throw new CspError(`interventions: "${name}" is not a hook point (e.g. "0.attn.q", "final_resid")`);
    return new Map(entries);
  }
}

/** Loads a model directory (config.json + model.safetensors) as a HookedModel. */
export function loadHookedModel(dir: string, options: HookedModelOptions = {}): HookedModel {
  return new HookedModel(loadModel(dir), options);
}
