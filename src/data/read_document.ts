import { readFileSync } from "node:fs";
import { CspError } from "../errors.js";
import type { CorpusFile } from "./corpus_files.js";

/** Why a corpus file was left out. */
export type SkipReason = "not-utf8" | "empty";

/** A file's text, or why it has none. */
export type DocumentText = { text: string } | { skipped: SkipReason };

/**
 * Reads a corpus file as UTF-8. Files that are not valid UTF-8 (legacy encodings, deliberately broken
 * test files) are skipped rather than guessed at; so are files with only whitespace. A leading BOM is an
 * encoding mark, not code, and is dropped.
 */
export function readDocument(file: CorpusFile): DocumentText {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file.path);
  } catch (e) {
    throw new CspError(`${file.path}: cannot read corpus file (${(e as Error).message.split("\n")[0]})`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { skipped: "not-utf8" };
  }
  if (text.trim() === "") return { skipped: "empty" };
  return { text };
}
