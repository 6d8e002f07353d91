import { CspError } from "../errors.js";
import { collectPythonFiles, type CorpusFile } from "./corpus_files.js";
import { readDocument } from "./read_document.js";
import { DEFAULT_VAL_FRACTION, splitTrainVal } from "./split.js";

/** A usable corpus file and its text. */
export interface CorpusDocument {
  file: CorpusFile;
  text: string;
}

/** A corpus read from disk and split into training and validation documents. */
export interface CorpusDocuments {
  /** Every .py file found, usable or not. */
  files: CorpusFile[];
  train: CorpusDocument[];
  val: CorpusDocument[];
  /** Absolute paths of files left out, by reason. */
  skippedNotUtf8: string[];
  skippedEmpty: string[];
}

/**
 * Collects, reads and splits a corpus (see collectPythonFiles, readDocument, splitTrainVal). Documents
 * keep the sorted file order within each side. `files` skips the directory walk when the caller has done it. Too few usable files is a CspError naming the corpus.
 */
export function readCorpusDocuments(
  paths: readonly string[],
  valFraction = DEFAULT_VAL_FRACTION,
  files: CorpusFile[] = collectPythonFiles(paths),
): CorpusDocuments {
  const usable: CorpusDocument[] = [];
  const skippedNotUtf8: string[] = [];
  const skippedEmpty: string[] = [];
  for (const file of files) {
    const doc = readDocument(file);
    if ("text" in doc) usable.push({ file, text: doc.text });
    else (doc.skipped === "not-utf8" ? skippedNotUtf8 : skippedEmpty).push(file.path);
  }
  if (usable.length < 2)
    throw new CspError(
      `${paths.join(", ")}: only ${usable.length} usable .py file(s) of ${files.length} ` +
        `(${skippedNotUtf8.length} not UTF-8, ${skippedEmpty.length} empty); need at least 2 for a train/validation split`,
    );
  const split = splitTrainVal(
    usable.map((d) => d.file.relPath),
    valFraction,
  );
  return {
    files,
    train: split.train.map((i) => usable[i]),
    val: split.val.map((i) => usable[i]),
    skippedNotUtf8,
    skippedEmpty,
  };
}
