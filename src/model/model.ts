import { CspError } from "../errors.js";
import { Tensor, type FloatArray, sameShape, shapeString } from "../tensor/tensor.js";
import { modelDims, type GPTConfig, type ModelDims } from "./config.js";
import { parameterSpecs, type ParamSpec } from "./params.js";

/** A GPT: its config, derived dimensions, and every state-dict tensor under the reference names. */
export interface Model<A extends FloatArray = Float32Array> {
  config: GPTConfig;
  dims: ModelDims;
  specs: ParamSpec[];
  params: Map<string, Tensor<A>>;
}

/**
 * Builds a model from a config and named tensors, checking that every expected tensor is present with
 * its expected shape. `final_logits_bias` defaults to zeros (the reference's load_model does the same);
 * `source` names the file in errors; Tensor values are used as they are (no copy). Unexpected tensors are refused: a config that contradicts the
 * weights must not load silently.
 */
export function createModel<A extends FloatArray>(
  config: GPTConfig,
  tensors: Map<string, { shape: readonly number[]; data: A } | Tensor<A>>,
  source: string,
  zeros: (n: number) => A,
): Model<A> {
  const dims = modelDims(config);
  const specs = parameterSpecs(config, dims);
  const params = new Map<string, Tensor<A>>();
  const expected = new Set(specs.map((s) => s.name));
  for (const spec of specs) {
    const t = tensors.get(spec.name);
    if (!t) {
      if (spec.name === "final_logits_bias") {
        params.set(spec.name, new Tensor(zeros(dims.vocab), spec.shape));
        continue;
      }
      if (spec.name === "transformer.wpe.weight" && config.sinusoidal_cat_pos_emb) {
        params.set(spec.name, new Tensor(sinusoidalTable(dims.blockSize, dims.dPos, zeros), spec.shape));
        continue;
      }
      throw new CspError(
        `${source}: missing tensor "${spec.name}" (expected shape ${shapeString(spec.shape)})`,
      );
    }
    if (!sameShape(t.shape, spec.shape)) {
      throw new CspError(
        `${source}: tensor "${spec.name}" has shape ${shapeString(t.shape)}, the config implies ${shapeString(spec.shape)}`,
      );
    }
    // A Tensor is taken as it is (it may be held sparse: reading its data would build it dense).
    params.set(spec.name, t instanceof Tensor ? t : new Tensor(t.data, spec.shape));
  }
  // A tied model's state dict holds the unembedding twice (same storage); accept the copy if it agrees.
  const tiedCopy = tensors.get("lm_head.weight");
  if (config.tied_unembed && tiedCopy) {
    const wte = params.get("transformer.wte.weight")!.data;
    if (tiedCopy.data.length !== wte.length || tiedCopy.data.some((v, i) => v !== wte[i])) {
      throw new CspError(
        `${source}: tied_unembed is true but "lm_head.weight" differs from "transformer.wte.weight"`,
      );
    }
    expected.add("lm_head.weight");
  }
  for (const name of tensors.keys()) {
    if (!expected.has(name)) {
      throw new CspError(
        `${source}: unexpected tensor "${name}" (not a parameter of a model with this config)`,
      );
    }
  }
  return { config, dims, specs, params };
}

/** The parameter tensor `name`; throws if absent (a programming error: createModel checked them). */
export function param<A extends FloatArray>(model: Model<A>, name: string): A {
  const t = model.params.get(name);
  if (!t) throw new Error(`model has no parameter "${name}"`);
  return t.data;
}

/**
 * The fixed table of `sinusoidal_cat_pos_emb`: d/2 frequencies whose periods are log-spaced from 4 to
 * block_size, laid out [sin | cos] and zero-padded to d (an odd d leaves the last column 0).
 */
export function sinusoidalTable<A extends FloatArray>(
  blockSize: number,
  d: number,
  zeros: (n: number) => A,
): A {
  const table = zeros(blockSize * d);
  const nFreq = Math.floor(d / 2);
  for (let f = 0; f < nFreq; f++) {
    const period = nFreq === 1 ? 4 : 4 * Math.pow(blockSize / 4, f / (nFreq - 1));
    for (let pos = 0; pos < blockSize; pos++) {
      const angle = (2 * Math.PI * pos) / period;
      table[pos * d + f] = Math.sin(angle);
      table[pos * d + nFreq + f] = Math.cos(angle);
    }
  }
  return table;
}
