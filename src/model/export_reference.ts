import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { endianness } from "node:os";
import { CspError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic.js";
import { writeTorchStateDict, type SaveTensor } from "../io/torch/torch_save.js";
import type { ZipWriterOptions } from "../io/torch/zip_writer.js";
import { ENCODER_JSON_FILE, loadTokenizer, VOCAB_BPE_FILE } from "../tokenizer/tokenizer_files.js";
import { loadModelWithConfig } from "./checkpoint.js";
import type { GPTConfig } from "./config.js";
import { findTokenizerDir, MODEL_TOKENIZER_DIR } from "./model_tokenizer.js";
import { REFERENCE_CONFIG_FILE, REFERENCE_WEIGHTS_FILE } from "./reference_model.js";

export interface ExportReferenceOptions {
  /** Our checkpoint directory (config.json + model.safetensors). */
  model: string;
  /** Directory to create: beeg_config.json, final_model.pt and tokenizer/. */
  out: string;
  /** Tokenizer directory to copy; default: the model's own (as `csp run` finds it), if any. */
  tokenizer?: string;
  /** Passed to the zip writer (tests use it to take the zip64 path). */
  zip?: ZipWriterOptions;
}

export interface ExportReferenceResult {
  config: GPTConfig;
  /** State-dict entries written, in order (a tied lm_head.weight included). */
  tensorNames: string[];
  /** Size of final_model.pt in bytes. */
  weightsBytes: number;
  /** Where the tokenizer was copied from, or null when the model has none. */
  tokenizerFrom: string | null;
}

/**
 * The reference's `beeg_config.json` for a config: the GPTConfig fields, with `d_mlp` under the JSON
 * name the released configs use (`n_mlp`, renamed back by the reference's `load_model` and by our
 * parseConfig). Keys we keep next to the config (`train`) are training state, not model config, and
 * are left out.
 */
export function referenceConfigJson(config: GPTConfig): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k === "d_mlp" ? "n_mlp" : k, v]));
}

/**
 * Writes a model in the layout of the reference's released checkpoints (`models/<name>/` of the public
 * bucket, spec B.1): `beeg_config.json`, `final_model.pt` (a `torch.save` of the state dict under the
 * reference names, see writeTorchStateDict) and, when the model has one, its tokenizer in
 * `tokenizer/`. The directory appears whole or not at all. The inverse of `csp convert`: converting the
 * export gives back bit-identical weights.
 */
export function exportReferenceModel(opts: ExportReferenceOptions): ExportReferenceResult {
  if (endianness() !== "LE")
    throw new CspError(`${opts.out}: writing torch checkpoints needs a little-endian machine`);
  refuseForeignOutput(opts.out);
  const { model } = loadModelWithConfig(opts.model);
  const tensors: SaveTensor[] = model.specs.map((spec) => {
    const t = model.params.get(spec.name)!;
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
    return { name: spec.name, shape: spec.shape, data };
  });
  if (model.config.tied_unembed) {
    // The reference ties lm_head.weight to wte; its state dict lists both over one storage.
    const wte = tensors.find((t) => t.name === "transformer.wte.weight")!;
    tensors.push({ ...wte, name: "lm_head.weight", sharesStorageWith: wte.name });
  }
  const tokenizerFrom = tokenizerSource(opts);
  if (tokenizerFrom !== null) {
    const vocab = loadTokenizer(tokenizerFrom).vocabSize;
    if (vocab > model.dims.vocab)
      throw new CspError(
        `${tokenizerFrom}: tokenizer has ${vocab} tokens, more than the model's vocab_size ${model.dims.vocab}`,
      );
  }

  const parent = dirname(opts.out);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(opts.out)}.${process.pid}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    writeFileAtomic(
      join(tmp, REFERENCE_CONFIG_FILE),
      JSON.stringify(referenceConfigJson(model.config), null, 2) + "\n",
    );
    writeTorchStateDict(join(tmp, REFERENCE_WEIGHTS_FILE), tensors, opts.zip);
    if (tokenizerFrom !== null) {
      // Byte for byte, as csp convert copies it back.
      for (const file of [VOCAB_BPE_FILE, ENCODER_JSON_FILE])
        writeFileAtomic(join(tmp, MODEL_TOKENIZER_DIR, file), readFileSync(join(tokenizerFrom, file)));
    }
    const weightsBytes = statSync(join(tmp, REFERENCE_WEIGHTS_FILE)).size;
    const old = `${tmp}.old`;
    if (existsSync(opts.out)) renameSync(opts.out, old);
    renameSync(tmp, opts.out);
    rmSync(old, { recursive: true, force: true });
    return { config: model.config, tensorNames: tensors.map((t) => t.name), weightsBytes, tokenizerFrom };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** The explicit tokenizer, else the model's own, else none (a model trained without one). */
function tokenizerSource(opts: ExportReferenceOptions): string | null {
  if (opts.tokenizer !== undefined) return opts.tokenizer;
  try {
    return findTokenizerDir(opts.model);
  } catch (e) {
    if (e instanceof CspError) return null;
    throw e;
  }
}

/** Only an empty directory or an earlier export may be replaced; anything else is refused. */
function refuseForeignOutput(out: string): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new CspError(`${out}: exists and is not a directory`);
  if (readdirSync(out).length > 0 && !existsSync(join(out, REFERENCE_CONFIG_FILE))) {
    throw new CspError(
      `${out}: directory exists and is not a reference model export (no ${REFERENCE_CONFIG_FILE}); choose a new output directory`,
    );
  }
}
