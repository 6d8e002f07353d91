import { fileError } from "../errors.js";
import { bytesToDataGym, dataGymToBytes } from "./byte_alphabet.js";
import { ENDOFTEXT, Tokenizer, type BpeMerge } from "./tokenizer.js";

/** The two files of a GPT-2 "data-gym" tokenizer, as text. */
export interface DataGymFiles {
  /** `#version: 0.2` then one merge per line, "first second", in the data-gym alphabet. */
  vocabBpe: string;
  /** JSON object: data-gym spelled token → id, including `<|endoftext|>`. */
  encoderJson: string;
}

/** File names used in messages (the caller passes full paths when it has them). */
export interface DataGymNames {
  vocabBpe: string;
  encoderJson: string;
}

const VERSION_HEADER = "#version: 0.2";
/** tiktoken drops this one too; it is not a token of tinypython. */
const STARTOFTEXT = "<|startoftext|>";

/**
 * Parses data-gym files the way tiktoken's `data_gym_to_mergeable_bpe_ranks` does (bytes 0..255 in
 * data-gym order, then one rank per vocab.bpe line) and checks, as it does, that encoder.json gives every
 * token the same id. Stricter than tiktoken where it would silently misread: a missing header or final
 * newline, a merge that repeats a token (which leaves a gap in the ids), and a missing `<|endoftext|>` or
 * one that is not the last id are errors.
 */
export function parseDataGym(files: DataGymFiles, names: DataGymNames): Tokenizer {
  const merges = parseVocabBpe(files.vocabBpe, names.vocabBpe);
  let tokenizer: Tokenizer;
  try {
    tokenizer = Tokenizer.fromMerges(merges);
  } catch (e) {
    throw fileError(names.vocabBpe, (e as Error).message);
  }
  checkEncoderJson(tokenizer, files.encoderJson, names);
  return tokenizer;
}

function parseVocabBpe(text: string, file: string): BpeMerge[] {
  const lines = text.split("\n");
  if (!lines[0].startsWith("#version"))
    throw fileError(
      file,
      `first line must be a "#version" header, found ${JSON.stringify(lines[0].slice(0, 40))}`,
    );
  if (lines[lines.length - 1] !== "")
    throw fileError(file, "does not end with a newline (tiktoken would silently drop the last merge)");
  const merges: BpeMerge[] = [];
  for (let i = 1; i < lines.length - 1; i++) {
    // Python's str.split(): any whitespace run separates, leading/trailing whitespace (e.g. \r) ignored.
    const fields = lines[i].split(/\s+/u).filter((f) => f.length > 0);
    if (fields.length !== 2)
      throw fileError(file, `line ${i + 1}: expected two space-separated symbols, found ${fields.length}`);
    const [first, second] = fields.map((f) => dataGymToBytes(f));
    if (first === undefined || second === undefined)
      throw fileError(file, `line ${i + 1}: character outside the data-gym byte alphabet`);
    merges.push({ first, second });
  }
  return merges;
}

function checkEncoderJson(tokenizer: Tokenizer, text: string, names: DataGymNames): void {
  const file = names.encoderJson;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw fileError(file, `invalid JSON (${(e as Error).message.split("\n")[0]})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw fileError(file, "expected a JSON object mapping tokens to ids");
  let mergeable = 0;
  for (const [spelled, id] of Object.entries(parsed)) {
    if (!Number.isInteger(id)) throw fileError(file, `token ${JSON.stringify(spelled)} has a non-integer id`);
    if (spelled === STARTOFTEXT) continue;
    if (spelled === ENDOFTEXT) {
      if (id !== tokenizer.eotId)
        throw fileError(
          file,
          `${ENDOFTEXT} has id ${id}, expected ${tokenizer.eotId} (the id after the last merge)`,
        );
      continue;
    }
    const bytes = dataGymToBytes(spelled);
    if (bytes === undefined)
      throw fileError(file, `token ${JSON.stringify(spelled)} has a character outside the data-gym alphabet`);
    const rank = tokenizer.rankOf(bytes);
    if (rank === undefined)
      throw fileError(file, `token ${JSON.stringify(spelled)} (id ${id}) is not made by ${names.vocabBpe}`);
    if (rank !== id)
      throw fileError(
        file,
        `token ${JSON.stringify(spelled)} has id ${id} but ${names.vocabBpe} gives rank ${rank}`,
      );
    mergeable++;
  }
  if (!(ENDOFTEXT in parsed)) throw fileError(file, `no ${ENDOFTEXT} entry`);
  if (mergeable !== tokenizer.mergeableCount)
    throw fileError(
      file,
      `has ${mergeable} mergeable tokens but ${names.vocabBpe} defines ${tokenizer.mergeableCount} (256 bytes + merges)`,
    );
}

/** Writes the tokenizer in data-gym format; tiktoken's loader reads it back to the same ranks. */
export function formatDataGym(tokenizer: Tokenizer): DataGymFiles {
  const mergeLines = tokenizer.merges.map((m) => `${bytesToDataGym(m.first)} ${bytesToDataGym(m.second)}\n`);
  const vocabBpe = `${VERSION_HEADER}\n${mergeLines.join("")}`;
  // Built by hand so entries stay in id order (JS objects put integer-like keys such as "7" first).
  const entries: string[] = [];
  for (let id = 0; id < tokenizer.mergeableCount; id++)
    entries.push(`${JSON.stringify(bytesToDataGym(tokenizer.tokenBytes(id)))}: ${id}`);
  entries.push(`${JSON.stringify(ENDOFTEXT)}: ${tokenizer.eotId}`);
  return { vocabBpe, encoderJson: `{${entries.join(", ")}}\n` };
}
