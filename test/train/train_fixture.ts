import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseConfig } from "../../src/model/config.js";
import { createModel, type Model } from "../../src/model/model.js";
import { readSafetensors, type StoredTensor } from "../../src/io/safetensors.js";
import { parseTrainConfig, type TrainConfig } from "../../src/train/train_config.js";

/** The official train.py run recorded in ../shared/fixtures/train-step (see its README). */
export const TRAIN_STEP_DIR = resolve(
  fileURLToPath(import.meta.url),
  "../../../../shared/fixtures/train-step",
);

export interface TrainStepFixture {
  rawTrain: Record<string, unknown>;
  train: TrainConfig;
  /** tokens [8, 16] */
  tokens: Int32Array;
  b: number;
  t: number;
  steps: Map<string, StoredTensor>;
  recordedParamSteps: number[];
  sparsified: string[];
  /** A fresh model from init.safetensors in the requested precision. */
  model<A extends Float32Array | Float64Array>(kind: "f32" | "f64"): Model<A>;
}

let cached: TrainStepFixture | undefined;

export function loadTrainStepFixture(): TrainStepFixture {
  if (cached) return cached;
  const raw = JSON.parse(readFileSync(join(TRAIN_STEP_DIR, "config.json"), "utf8")) as Record<
    string,
    unknown
  >;
  const { train: rawTrain, ...modelRaw } = raw;
  const { config } = parseConfig(modelRaw, "train-step/config.json");
  const { config: train } = parseTrainConfig(rawTrain, "train-step/config.json");
  const init = readSafetensors(join(TRAIN_STEP_DIR, "init.safetensors")).tensors;
  const batch = readSafetensors(join(TRAIN_STEP_DIR, "batch.safetensors")).tensors.get("tokens")!;
  const steps = readSafetensors(join(TRAIN_STEP_DIR, "steps.safetensors")).tensors;
  const tr = rawTrain as Record<string, unknown>;
  cached = {
    rawTrain: tr,
    train,
    tokens: batch.data as Int32Array,
    b: batch.shape[0],
    t: batch.shape[1],
    steps,
    recordedParamSteps: tr.recorded_param_steps as number[],
    sparsified: tr.sparsified_params as string[],
    model<A extends Float32Array | Float64Array>(kind: "f32" | "f64") {
      const tensors = new Map<string, { shape: number[]; data: A }>();
      for (const [name, t] of init) {
        const data = (kind === "f32" ? Float32Array.from(t.data) : Float64Array.from(t.data)) as A;
        tensors.set(name, { shape: t.shape, data });
      }
      const zeros = (n: number) => (kind === "f32" ? new Float32Array(n) : new Float64Array(n)) as A;
      return createModel<A>(config, tensors, "init.safetensors", zeros);
    },
  };
  return cached;
}

/** A recorded scalar, e.g. scalar(f, "step3/lr"). */
export function scalar(f: TrainStepFixture, key: string): number {
  const t = f.steps.get(key);
  if (!t) throw new Error(`fixture has no ${key}`);
  return t.data[0];
}
