import { collectPythonFiles } from "../data/corpus_files.js";
import { readDocument } from "../data/read_document.js";
import { DEFAULT_VAL_FRACTION, splitTrainVal } from "../data/split.js";
import { ChunkCounter } from "../tokenizer/chunk_counts.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";
import { trainBpe } from "../tokenizer/train_bpe.js";

/**
 * Trains a BPE tokenizer on the *training* side of a corpus (the same file split prepareCorpus makes),
 * so validation text never shapes the vocabulary. Deterministic: same files, same tokenizer.
 */
export function trainCorpusTokenizer(
  corpus: readonly string[],
  opts: { vocabSize: number; valFraction?: number },
): Tokenizer {
  const docs: { relPath: string; text: string }[] = [];
  for (const file of collectPythonFiles(corpus)) {
    const doc = readDocument(file);
    if ("text" in doc) docs.push({ relPath: file.relPath, text: doc.text });
  }
  const split = splitTrainVal(
    docs.map((d) => d.relPath),
    opts.valFraction ?? DEFAULT_VAL_FRACTION,
  );
  const counter = new ChunkCounter();
  for (const i of split.train) counter.add(docs[i].text);
  return trainBpe(counter.counts, { vocabSize: opts.vocabSize });
}
