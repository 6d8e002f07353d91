import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CspError } from "../../src/errors.js";
import { findTokenizerDir, loadModelTokenizer } from "../../src/model/model_tokenizer.js";
import { saveTokenizer } from "../../src/tokenizer/index.js";
import { BYTE_TOKENIZER } from "../helpers/planted_text.js";

const root = mkdtempSync(join(tmpdir(), "csp-model-tokenizer-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A model directory under `root/name` (no weights needed here) with the byte tokenizer at `tokenizerAt`. */
function modelDir(name: string, tokenizerAt: (model: string) => string): string {
  const model = join(root, name, "model");
  mkdirSync(model, { recursive: true });
  saveTokenizer(tokenizerAt(model), BYTE_TOKENIZER);
  return model;
}

describe("findTokenizerDir", () => {
  it("finds the tokenizer in the model's tokenizer/, in the model directory, or in ../tokenizer", () => {
    const sub = modelDir("sub", (m) => join(m, "tokenizer"));
    const inside = modelDir("inside", (m) => m);
    const sibling = modelDir("sibling", (m) => join(m, "..", "tokenizer"));
    expect(findTokenizerDir(sub)).toBe(join(sub, "tokenizer"));
    expect(findTokenizerDir(inside)).toBe(inside);
    expect(findTokenizerDir(sibling)).toBe(join(root, "sibling", "model", "..", "tokenizer"));
  });

  it("an explicit directory wins; none found is a CspError that says where it looked", () => {
    const empty = join(root, "empty", "model");
    mkdirSync(empty, { recursive: true });
    expect(findTokenizerDir(empty, "/given")).toBe("/given");
    expect(() => findTokenizerDir(empty)).toThrow(
      new CspError(
        `${empty}: no tokenizer found (looked for vocab.bpe in its tokenizer/, the model directory and ../tokenizer/); pass --tokenizer DIR`,
      ),
    );
  });
});

describe("loadModelTokenizer", () => {
  it("accepts a vocabulary padded past the tokenizer and refuses one smaller than it", () => {
    const model = modelDir("vocab", (m) => join(m, "tokenizer"));
    expect(loadModelTokenizer(model, { vocab: 300 }).vocabSize).toBe(257);
    expect(loadModelTokenizer(model, { vocab: 257 }).vocabSize).toBe(257);
    expect(() => loadModelTokenizer(model, { vocab: 256 })).toThrow(
      new CspError(
        `${join(model, "tokenizer")}: tokenizer has 257 ids, more than the vocab_size 256 of the model in ${model}`,
      ),
    );
  });
});
