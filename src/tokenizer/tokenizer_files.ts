import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { CspError, fileError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic.js";
import { formatDataGym, parseDataGym } from "./data_gym.js";
import type { Tokenizer } from "./tokenizer.js";

/** File names inside a tokenizer directory (the reference's tinypython layout). */
export const VOCAB_BPE_FILE = "vocab.bpe";
export const ENCODER_JSON_FILE = "encoder.json";

function readUtf8(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw fileError(path, `cannot read (${(e as Error).message.split("\n")[0]})`);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw fileError(path, "is not valid UTF-8");
  }
}

/** Loads `vocab.bpe` + `encoder.json` from a directory; any problem is a CspError naming the file. */
export function loadTokenizer(dir: string): Tokenizer {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new CspError(
      `${dir}: tokenizer directory not found (expected ${VOCAB_BPE_FILE} and ${ENCODER_JSON_FILE})`,
    );
  const vocabBpe = join(dir, VOCAB_BPE_FILE);
  const encoderJson = join(dir, ENCODER_JSON_FILE);
  for (const path of [vocabBpe, encoderJson])
    if (!existsSync(path))
      throw fileError(path, "missing (a data-gym tokenizer needs vocab.bpe and encoder.json)");
  return parseDataGym(
    { vocabBpe: readUtf8(vocabBpe), encoderJson: readUtf8(encoderJson) },
    { vocabBpe, encoderJson },
  );
}

/**
 * Saves the tokenizer as `vocab.bpe` + `encoder.json` in `dir` (created if needed). Each file is written
 * atomically; should the process die between the two, the loader's consistency check reports the pair.
 */
export function saveTokenizer(dir: string, tokenizer: Tokenizer): void {
  const files = formatDataGym(tokenizer);
  writeFileAtomic(join(dir, VOCAB_BPE_FILE), files.vocabBpe);
  writeFileAtomic(join(dir, ENCODER_JSON_FILE), files.encoderJson);
}
