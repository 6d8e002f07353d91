import { MODEL_TOKENIZER_DIR } from "./model_tokenizer.js";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { CspError } from "../errors.js";
import type { GPTConfig } from "./config.js";
import { CONFIG_FILE, saveCheckpointFiles } from "./checkpoint.js";
import { ENCODER_JSON_FILE, loadTokenizer, VOCAB_BPE_FILE } from "../tokenizer/tokenizer_files.js";
import type { TensorMap } from "../io/safetensors.js";
import { countNonzero } from "../tensor/sparse.js";
import { loadReferenceModelDir } from "./reference_model.js";

export interface ConvertOptions {
  /** Reference model directory: `beeg_config.json` + `final_model.pt`. */
  from: string;
  /** Our checkpoint directory to create (`config.json` + `model.safetensors`). */
  out: string;
  /** Optional tokenizer directory (`vocab.bpe` + `encoder.json`), validated and copied to `<out>/tokenizer/`. */
  tokenizer?: string;
}

/** Counts for one tensor of the converted model. */
export interface TensorSummary {
  name: string;
  shape: number[];
  numel: number;
  nonzeros: number;
}

export interface ConvertResult {
  config: GPTConfig;
  /** beeg_config.json keys that have no effect (training-only); say them once. */
  ignoredKeys: string[];
  /** What the reference loading rules changed (zero-filled or dropped tensors). */
  adjustments: string[];
  tensors: TensorSummary[];
  totalNumel: number;
  totalNonzeros: number;
  /** Token count of the copied tokenizer, when one was given. */
  tokenizerVocabSize?: number;
}

/**
 * Converts a released reference model directory into our checkpoint format. Everything is read and
 * checked first; the output directory appears whole (written in a temporary sibling and renamed) or
 * not at all.
 */
export function convertReferenceModel(opts: ConvertOptions): ConvertResult {
  refuseForeignOutput(opts.out);
  const model = loadReferenceModelDir(opts.from);
  const extraFiles: Record<string, Uint8Array> = {};
  let tokenizerVocabSize: number | undefined;
  if (opts.tokenizer !== undefined) {
    tokenizerVocabSize = loadTokenizer(opts.tokenizer).vocabSize;
    if (tokenizerVocabSize > model.config.vocab_size) {
      throw new CspError(
        `${opts.tokenizer}: tokenizer has ${tokenizerVocabSize} tokens, more than the model's vocab_size ${model.config.vocab_size}`,
      );
    }
    // Copy the files byte for byte rather than re-serialising what was parsed.
    for (const file of [VOCAB_BPE_FILE, ENCODER_JSON_FILE]) {
      extraFiles[join(MODEL_TOKENIZER_DIR, file)] = readFileSync(join(opts.tokenizer, file));
    }
  }
  saveCheckpoint(opts.out, model.config, model.tensors, extraFiles);
  const tensors = summarizeTensors(model.tensors);
  return {
    config: model.config,
    ignoredKeys: model.ignoredKeys,
    adjustments: model.adjustments,
    tensors,
    totalNumel: tensors.reduce((s, t) => s + t.numel, 0),
    totalNonzeros: tensors.reduce((s, t) => s + t.nonzeros, 0),
    tokenizerVocabSize,
  };
}

/**
 * The one call that writes a checkpoint directory: config.json + model.safetensors in the checkpoint
 * module's encoding (mostly-zero matrices stored sparsely), atomically. `extraFiles` are paths
 * relative to `dir`.
 */
export function saveCheckpoint(
  dir: string,
  config: GPTConfig,
  tensors: TensorMap,
  extraFiles: Record<string, Uint8Array> = {},
): void {
  saveCheckpointFiles(dir, config, tensors, {}, extraFiles);
}

/**
 * Writing a checkpoint replaces the output directory, so only an empty directory or an earlier
 * checkpoint may be there; anything else (a typo'd `--out .`) is refused.
 */
function refuseForeignOutput(out: string): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new CspError(`${out}: exists and is not a directory`);
  if (readdirSync(out).length > 0 && !existsSync(join(out, CONFIG_FILE))) {
    throw new CspError(
      `${out}: directory exists and is not a checkpoint (no ${CONFIG_FILE}); choose a new output directory`,
    );
  }
}

/** Per-tensor element and nonzero counts, in the map's order. */
export function summarizeTensors(tensors: TensorMap): TensorSummary[] {
  return [...tensors].map(([name, t]) => ({
    name,
    shape: [...t.shape],
    numel: t.data.length,
    nonzeros: countNonzero(t.data),
  }));
}
