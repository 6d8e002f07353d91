import { join } from "node:path";
import { loadModelWithConfig } from "../../model/checkpoint.js";
import type { Model } from "../../model/model.js";
import { countNonzero, csrNnz } from "../../tensor/sparse.js";
import { METRICS_FILE, readMetrics } from "../../train/metrics.js";
import { sparsityPlan } from "../../train/sparsity_plan.js";
import { DEFAULT_TRAIN_CONFIG } from "../../train/train_config.js";
import type { AblationKind } from "../../circuit/ablation.js";
import { loadMeans } from "../../circuit/means.js";
import { weightsHash } from "../../model/model_hash.js";
import { nodeLayout } from "../../circuit/nodes.js";
import { findTokenizerDir } from "../../model/model_tokenizer.js";
import type { ModelKind, StudyModelSpec } from "./spec.js";

/** A model of the study, as recorded in study.json. */
export interface StudyModel {
  name: string;
  kind: ModelKind;
  /** Where the kind came from: the spec, config.json's train.pfrac, or (no train section) the weights. */
  kind_from: "spec" | "config" | "weights";
  dir: string;
  /** The last validation loss in metrics.jsonl (null: none recorded). */
  val_loss: number | null;
  /** Nonzero entries of the matrices the training recipe sparsifies, and their total size. */
  nonzero_params: number;
  total_params: number;
  /** config.json train.progress.elapsed_s (null: absent). */
  train_seconds: number | null;
  weights_hash: string;
  tokenizer_dir: string;
}

/**
 * The matrices weight-sparse training projects (every ≥2-D parameter except the bigram table and a
 * concatenated position table: attention and MLP weights, token embedding, unembedding), whether or not
 * this model was trained sparse: sparsityPlan with some pfrac, since a dense run's plan is empty.
 */
function sparsifiableParams(model: Model): string[] {
  const anySparse = { ...DEFAULT_TRAIN_CONFIG, pfrac: 1, sparse_biases: false };
  return sparsityPlan(model.specs, model.config, anySparse).map((t) => t.name);
}

/** Nonzero and total entries of the sparsifiable matrices (held-sparse ones stay sparse). */
export function countParams(model: Model): { nonzero: number; total: number } {
  let nonzero = 0;
  let total = 0;
  for (const name of sparsifiableParams(model)) {
    const t = model.params.get(name)!;
    const held = t.heldCsr;
    nonzero += held ? csrNnz(held) : countNonzero(t.data);
    total += t.shape.reduce((a, b) => a * b, 1);
  }
  return { nonzero, total };
}

function numberOrNull(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/**
 * Loads a model of the spec once: kind, validation loss, parameter counts, training time, weights hash,
 * tokenizer; and checks its means file when the ablation needs one (a missing one fails the study up
 * front rather than every cell).
 */
export function inspectModel(spec: StudyModelSpec, ablation: AblationKind): StudyModel {
  const { model, rawConfig } = loadModelWithConfig(spec.dir);
  if (ablation !== "zero") loadMeans(spec.dir, model, nodeLayout(model.dims));
  const train =
    typeof rawConfig.train === "object" && rawConfig.train !== null
      ? (rawConfig.train as Record<string, unknown>)
      : undefined;
  const { nonzero, total } = countParams(model);
  let kind: ModelKind;
  let kindFrom: StudyModel["kind_from"];
  if (spec.kind) [kind, kindFrom] = [spec.kind, "spec"];
  else if (train && "pfrac" in train)
    [kind, kindFrom] = [train.pfrac === null ? "dense" : "sparse", "config"];
  else [kind, kindFrom] = [nonzero < total ? "sparse" : "dense", "weights"];
  const vals = readMetrics(join(spec.dir, METRICS_FILE)).filter((r) => r.val_loss !== undefined);
  const progress = train?.progress as Record<string, unknown> | undefined;
  return {
    name: spec.name,
    kind,
    kind_from: kindFrom,
    dir: spec.dir,
    val_loss: vals.length > 0 ? vals[vals.length - 1].val_loss! : null,
    nonzero_params: nonzero,
    total_params: total,
    train_seconds: numberOrNull(progress?.elapsed_s),
    weights_hash: weightsHash(model),
    tokenizer_dir: findTokenizerDir(spec.dir),
  };
}
