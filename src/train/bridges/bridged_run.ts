import { join } from "node:path";
import type { Backend } from "../../backend/backend.js";
import { CspError } from "../../errors.js";
import type { TensorMap } from "../../io/safetensors.js";
import { bridgeSites, bridgesPath, writeBridges, type Bridges } from "../../model/bridges_file.js";
import { loadModel, saveModel } from "../../model/checkpoint.js";
import { configHash, weightsHash } from "../../model/model_hash.js";
import { MODEL_TOKENIZER_DIR } from "../../model/model_tokenizer.js";
import type { Model } from "../../model/model.js";
import { saveTokenizer } from "../../tokenizer/tokenizer_files.js";
import type { Tokenizer } from "../../tokenizer/tokenizer.js";
import type { SavedState } from "../checkpoint_state.js";
import type { Learner } from "../step.js";
import type { TrainExtension } from "../trainer.js";
import type { GPTConfig } from "../../model/config.js";
import { initBridges } from "./bridge_params.js";
import { storedLastTerms } from "./bridge_summary.js";
import type { BridgedLossTerms } from "./bridged_loss.js";
import {
  bridgedTrainStep,
  createBridgeLearner,
  type BridgeLearner,
  type BridgeSettings,
} from "./bridged_step.js";

/** Where a trained dense model is exported (with --train-dense), beside the sparse model. */
export const TRAINED_DENSE_DIR = "dense";

/** Defaults of the bridge loss (docs/bridges.md "Decisions"). */
export const DEFAULT_BRIDGE_SETTINGS: BridgeSettings = {
  weights: { nmse: 1, kl: 1 },
  klSitesPerStep: 1,
  encoderAfrac: 0.25,
  trainDense: false,
};

export interface BridgedRunOptions {
  denseDir: string;
  settings: BridgeSettings;
  /** The sparse model's config and seed (the bridges' initialisation stream derives from it). */
  sparseConfig: GPTConfig;
  seed: number;
  nCtx: number;
  tokenizer: Tokenizer;
}

/** The bridges of a run as a {@link TrainExtension} for trainModel: `csp train --bridges DENSE_DIR`. */
export class BridgedRun implements TrainExtension {
  readonly identity: Record<string, unknown>;
  private readonly bl: BridgeLearner;
  private readonly denseDir: string;
  /** Saved with a trained dense model's export. */
  private readonly tokenizer: Tokenizer;
  /** The loss terms of this session's steps, in order. */
  readonly terms: BridgedLossTerms[] = [];

  constructor(o: BridgedRunOptions) {
    const dense = loadModel(o.denseDir);
    checkPair(o.denseDir, o.sparseConfig, dense, o.nCtx, o.tokenizer);
    const dS = o.sparseConfig.d_model;
    const dD = dense.dims.dModel;
    const bridges = initBridges(dense.dims.nLayer, dS, dD, o.seed);
    this.denseDir = o.denseDir;
    this.tokenizer = o.tokenizer;
    this.bl = createBridgeLearner({
      settings: o.settings,
      dense,
      sites: bridgeSites(dense.dims.nLayer),
      bridges,
    });
    // A dense model read sparse is made dense once here: the run differentiates through it.
    for (const t of dense.params.values()) void t.data;
    const s = o.settings;
    this.identity = {
      dense_config_sha256: configHash(dense.config),
      dense_weights_sha256: weightsHash(dense),
      nmse_weight: s.weights.nmse,
      kl_weight: s.weights.kl,
      kl_sites_per_step: s.klSitesPerStep,
      encoder_afrac: s.encoderAfrac,
      train_dense: s.trainDense,
    };
  }

  step(
    learner: Learner,
    step: number,
    batch: { tokens: Int32Array; b: number; t: number },
    opts: { backend?: Backend },
  ) {
    const rec = bridgedTrainStep(learner, this.bl, step, batch, opts);
    this.terms.push(rec.terms);
    return rec;
  }

  stateTensors(): TensorMap {
    const map: TensorMap = new Map();
    const put = (key: string, shape: readonly number[], data: Float32Array) =>
      map.set(key, { dtype: "F32", shape: [...shape], data });
    for (const [name, t] of this.bl.bridges) {
      put(`bridge/${name}`, t.shape, t.data);
      put(`bridge_adam_m/${name}`, t.shape, this.bl.bridgeAdam.m.get(name)!);
      put(`bridge_adam_v/${name}`, t.shape, this.bl.bridgeAdam.v.get(name)!);
    }
    if (this.bl.denseAdam) {
      for (const spec of this.bl.dense.specs)
        put(`dense/${spec.name}`, spec.shape, this.bl.dense.params.get(spec.name)!.data);
      for (const [name, m] of this.bl.denseAdam.m) {
        const shape = this.bl.dense.params.get(name)!.shape;
        put(`dense_adam_m/${name}`, shape, m);
        put(`dense_adam_v/${name}`, shape, this.bl.denseAdam.v.get(name)!);
      }
    }
    return map;
  }

  restore(saved: SavedState, source: string): void {
    const take = (key: string, into: Float32Array) => {
      const t = saved.tensors.get(key);
      if (!t || t.data.length !== into.length)
        throw new CspError(`${source}: tensor "${key}" is missing or has the wrong size`);
      into.set(t.data);
    };
    for (const [name, t] of this.bl.bridges) {
      take(`bridge/${name}`, t.data);
      take(`bridge_adam_m/${name}`, this.bl.bridgeAdam.m.get(name)!);
      take(`bridge_adam_v/${name}`, this.bl.bridgeAdam.v.get(name)!);
    }
    this.bl.bridgeAdam.step = saved.adamStep;
    if (this.bl.denseAdam) {
      for (const spec of this.bl.dense.specs)
        take(`dense/${spec.name}`, this.bl.dense.params.get(spec.name)!.data);
      for (const [name, m] of this.bl.denseAdam.m) {
        take(`dense_adam_m/${name}`, m);
        take(`dense_adam_v/${name}`, this.bl.denseAdam.v.get(name)!);
      }
      this.bl.denseAdam.step = saved.adamStep;
    }
  }

  writeExports(outDir: string): void {
    const dense = this.bl.dense;
    const trained = this.bl.settings.trainDense;
    // A session that ran no step (a finished run re-run) keeps the terms its file already records.
    const last = this.terms.at(-1) ?? storedLastTerms(outDir);
    const bridges: Bridges = {
      meta: {
        version: 1,
        encoder_afrac: this.bl.settings.encoderAfrac,
        sparse: { d_model: this.sparseWidth(), n_layer: dense.dims.nLayer },
        dense: {
          d_model: dense.dims.dModel,
          n_layer: dense.dims.nLayer,
          weights_sha256: weightsHash(dense),
          dir: trained ? TRAINED_DENSE_DIR : this.denseDir,
        },
        ...(last ? { last_terms: { ...last } as Record<string, number> } : {}),
      },
      sites: this.bl.sites,
      params: this.bl.bridges,
    };
    if (trained) {
      const dir = join(outDir, TRAINED_DENSE_DIR);
      saveModel(dir, dense, { trained_with_bridges: true });
      saveTokenizer(join(dir, MODEL_TOKENIZER_DIR), this.tokenizer);
    }
    writeBridges(bridgesPath(outDir), bridges);
  }

  private sparseWidth(): number {
    return this.bl.bridges.get("bridges.0.attn.encoder.bias")!.size;
  }
}

/** The dense model must share the sparse model's vocabulary, depth and context. */
function checkPair(denseDir: string, sparse: GPTConfig, dense: Model, nCtx: number, tok: Tokenizer): void {
  const d = dense.config;
  if (d.vocab_size !== tok.vocabSize)
    throw new CspError(
      `${denseDir}: dense model has vocab_size ${d.vocab_size}, the run's tokenizer ${tok.vocabSize} ids`,
    );
  if (d.n_layer !== sparse.n_layer)
    throw new CspError(
      `${denseDir}: dense model has ${d.n_layer} layers, the sparse model ${sparse.n_layer}; bridges join sublayers one to one`,
    );
  if (d.block_size < nCtx)
    throw new CspError(
      `${denseDir}: dense model's block_size ${d.block_size} is below the run's n_ctx ${nCtx}`,
    );
}
