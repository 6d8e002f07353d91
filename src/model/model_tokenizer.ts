import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { CspError } from "../errors.js";
import { loadTokenizer, VOCAB_BPE_FILE } from "../tokenizer/tokenizer_files.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";

/** Where a model directory keeps the tokenizer it was trained with (`csp train`, `csp convert`). */
export const MODEL_TOKENIZER_DIR = "tokenizer";

/**
 * The tokenizer directory of a model: `explicit` (a --tokenizer flag) if given, else the first of
 * `<model>/tokenizer`, `<model>` itself and `<model>/../tokenizer` that holds vocab.bpe.
 */
export function findTokenizerDir(modelDir: string, explicit?: string): string {
  if (explicit !== undefined) return explicit;
  const candidates = [
    join(modelDir, MODEL_TOKENIZER_DIR),
    modelDir,
    join(modelDir, "..", MODEL_TOKENIZER_DIR),
  ];
  for (const dir of candidates)
    if (existsSync(join(dir, VOCAB_BPE_FILE)) && statSync(dir).isDirectory()) return dir;
  throw new CspError(
    `${modelDir}: no tokenizer found (looked for ${VOCAB_BPE_FILE} in its ${MODEL_TOKENIZER_DIR}/, the model directory and ../${MODEL_TOKENIZER_DIR}/); pass --tokenizer DIR`,
  );
}

/**
 * The tokenizer of a model directory (found as {@link findTokenizerDir} says) or of a tokenizer
 * directory itself, without a vocabulary check (there is no model to check against).
 */
export function loadTokenizerOf(dir: string): Tokenizer {
  return loadTokenizer(findTokenizerDir(dir));
}

/**
 * The tokenizer of a model (found as {@link findTokenizerDir} says), checked against the model's
 * vocabulary: it may have fewer ids than the embedding (a padded vocabulary) but never more.
 */
export function loadModelTokenizer(
  modelDir: string,
  options: { vocab: number; tokenizerDir?: string },
): Tokenizer {
  const dir = findTokenizerDir(modelDir, options.tokenizerDir);
  const tokenizer = loadTokenizer(dir);
  if (tokenizer.vocabSize > options.vocab)
    throw new CspError(
      `${dir}: tokenizer has ${tokenizer.vocabSize} ids, more than the vocab_size ${options.vocab} of the model in ${modelDir}`,
    );
  return tokenizer;
}
