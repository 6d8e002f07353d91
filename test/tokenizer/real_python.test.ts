import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readCorpusDocuments, type CorpusDocuments } from "../../src/data/corpus_documents.js";
import { findPythonStdlib } from "../../src/data/python_stdlib.js";
import { countChunks } from "../../src/tokenizer/chunk_counts.js";
import { measureCompression } from "../../src/tokenizer/compression.js";
import { loadTokenizer, saveTokenizer } from "../../src/tokenizer/tokenizer_files.js";
import type { Tokenizer } from "../../src/tokenizer/tokenizer.js";
import { trainBpe } from "../../src/tokenizer/train_bpe.js";
import { jsTiktokenOf } from "./js_tiktoken_reference.js";

/** The machine's Python standard library: real Python code, present wherever the default corpus works. */
let corpus: CorpusDocuments;
let tokenizer: Tokenizer;
let texts: string[];

beforeAll(() => {
  corpus = readCorpusDocuments([findPythonStdlib()]);
  // A third of the files (~10 MB) trains a full 2k vocabulary in a couple of seconds.
  texts = corpus.train.filter((_, i) => i % 3 === 0).map((d) => d.text);
  tokenizer = trainBpe(texts, { vocabSize: 2048 });
}, 120_000);

describe("tokenizer on the Python standard library", () => {
  it("trains the tinypython_2k layout: 256 bytes + 1791 merges + <|endoftext|> = 2047", () => {
    expect(texts.length).toBeGreaterThan(100);
    expect(tokenizer.merges.length).toBe(1791);
    expect(tokenizer.eotId).toBe(2047);
    const { bytesPerToken } = measureCompression(tokenizer, countChunks(corpus.val.map((d) => d.text)));
    // Byte-level is 1.0; a working 2k BPE on code compresses well beyond 2 bytes/token.
    expect(bytesPerToken).toBeGreaterThan(2.5);
  });

  it("encodes exactly like js-tiktoken built from the same ranks", () => {
    const reference = jsTiktokenOf(tokenizer);
    const all = [...corpus.train, ...corpus.val];
    // Every 16th file keeps js-tiktoken (slow) to a few seconds while covering every package.
    for (let i = 0; i < all.length; i += 16) {
      const text = all[i].text;
      if (/[\u0085\ufeff]/u.test(text)) continue; // js-tiktoken's \s differs from the reference's there
      expect(tokenizer.encode(text), all[i].file.relPath).toEqual(reference.encode(text));
    }
    // Long pieces exercise the heap merge path.
    for (const text of ["x".repeat(1000), " ".repeat(700) + "y", "_".repeat(500), "abcdefghij".repeat(40)])
      expect(tokenizer.encode(text)).toEqual(reference.encode(text));
  });

  it("decodes every file back to its text", () => {
    for (const doc of [...corpus.train, ...corpus.val]) {
      const ids = tokenizer.encode(doc.text);
      if (tokenizer.decode(ids) !== doc.text) expect.fail(`${doc.file.path} does not round-trip`);
    }
  });

  it("round-trips the non-UTF-8 files it skipped as bytes", () => {
    for (const path of corpus.skippedNotUtf8) {
      const bytes = new Uint8Array(readFileSync(path));
      expect(tokenizer.decodeBytes(tokenizer.encodeBytes(bytes))).toEqual(bytes);
    }
  });

  it("saves and loads to the same encodings", () => {
    const dir = mkdtempSync(join(tmpdir(), "csp-tok-"));
    saveTokenizer(dir, tokenizer);
    const loaded = loadTokenizer(dir);
    for (let i = 0; i < texts.length; i += 50)
      expect(loaded.encode(texts[i])).toEqual(tokenizer.encode(texts[i]));
  });
});
