import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CspError } from "../../src/errors.js";
import { formatDataGym, parseDataGym } from "../../src/tokenizer/data_gym.js";
import { loadTokenizer, saveTokenizer } from "../../src/tokenizer/tokenizer_files.js";
import { trainBpe } from "../../src/tokenizer/train_bpe.js";
import {
  HAND_ENCODER_JSON,
  HAND_VOCAB_BPE,
  ID,
  encoderJsonOf,
  handEncoderEntries,
  handSingleByteSpellings,
} from "./hand_vocab.js";

const names = { vocabBpe: "dir/vocab.bpe", encoderJson: "dir/encoder.json" };
const parse = (vocabBpe: string, encoderJson: string) => parseDataGym({ vocabBpe, encoderJson }, names);

function expectCspError(fn: () => unknown, ...fragments: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(CspError);
  const message = (caught as Error).message;
  expect(message.includes("\n")).toBe(false);
  for (const f of fragments) expect(message).toContain(f);
}

describe("data-gym files", () => {
  it("reads a hand-made vocabulary and encodes as worked out by hand", () => {
    const tok = parse(HAND_VOCAB_BPE, HAND_ENCODER_JSON);
    expect(tok.vocabSize).toBe(260);
    expect(tok.eotId).toBe(ID.eot);
    expect(tok.encode("abc")).toEqual([ID.abc]); // whole piece is a token
    expect(tok.encode(" abc")).toEqual([ID.space, ID.abc]); // " a"(258) loses to "ab"(256), then "abc"(257)
    expect(tok.encode("aab")).toEqual([ID.a, ID.ab]);
    expect(tok.encode("abab")).toEqual([ID.ab, ID.ab]); // leftmost first on equal rank
    expect(tok.encode(" a")).toEqual([ID.spaceA]);
    expect(tok.encode("a b")).toEqual([ID.a, ID.space, ID.b]); // chunks "a", " b"
    expect(tok.encode("x\n")).toEqual([ID.x, ID.newline]);
    expect(tok.encode("a<|endoftext|>b", { allowSpecial: true })).toEqual([ID.a, ID.eot, ID.b]);
  });

  it("writes exactly the hand-made files back", () => {
    const files = formatDataGym(parse(HAND_VOCAB_BPE, HAND_ENCODER_JSON));
    expect(files.vocabBpe).toBe(HAND_VOCAB_BPE);
    expect(JSON.parse(files.encoderJson)).toEqual(Object.fromEntries(handEncoderEntries()));
    // Entries stay in id order even for integer-like keys ("0".."9"), which JS objects would reorder.
    const keys = [...files.encoderJson.matchAll(/"((?:[^"\\]|\\.)*)": \d+/g)].map((m) =>
      JSON.parse(`"${m[1]}"`),
    );
    expect(keys).toEqual(handEncoderEntries().map(([k]) => k));
  });

  it("round-trips a trained tokenizer through saveTokenizer/loadTokenizer", () => {
    const texts = ["def add(a, b):\n    return a + b\n", "for i in range(10):\n    print(i, 'x')\n"];
    const trained = trainBpe(texts.concat(texts, texts), { vocabSize: 280 });
    const dir = mkdtempSync(join(tmpdir(), "csp-tok-"));
    saveTokenizer(dir, trained);
    const loaded = loadTokenizer(dir);
    expect(loaded.vocabSize).toBe(280);
    expect(loaded.merges).toEqual(trained.merges);
    for (let id = 0; id < trained.vocabSize; id++)
      expect(loaded.tokenBytes(id)).toEqual(trained.tokenBytes(id));
    expect(readFileSync(join(dir, "vocab.bpe"), "utf8").split("\n")[0]).toBe("#version: 0.2");
    expect(readFileSync(join(dir, "vocab.bpe"), "utf8").split("\n").length).toBe(1 + 280 - 257 + 1);
  });

  it("accepts CRLF lines and a missing <|startoftext|> like tiktoken", () => {
    const tok = parse(HAND_VOCAB_BPE.replaceAll("\n", "\r\n").replace("\r\n", "\n"), HAND_ENCODER_JSON);
    expect(tok.encode("abc")).toEqual([ID.abc]);
  });

  it("rejects malformed vocab.bpe with the file name", () => {
    expectCspError(() => parse("a b\nab c\n", HAND_ENCODER_JSON), "dir/vocab.bpe", "#version");
    expectCspError(() => parse("#version: 0.2\na b\nab c", HAND_ENCODER_JSON), "dir/vocab.bpe", "newline");
    expectCspError(() => parse("#version: 0.2\na b c\n", HAND_ENCODER_JSON), "dir/vocab.bpe", "line 2");
    expectCspError(() => parse("#version: 0.2\na b\n\nab c\n", HAND_ENCODER_JSON), "dir/vocab.bpe", "line 3");
    expectCspError(() => parse("#version: 0.2\na €\n", HAND_ENCODER_JSON), "dir/vocab.bpe", "alphabet");
    expectCspError(() => parse("#version: 0.2\na b\na b\n", HAND_ENCODER_JSON), "dir/vocab.bpe", "repeats");
  });

  it("rejects encoder.json that disagrees with vocab.bpe", () => {
    const entries = handEncoderEntries();
    const withId = (key: string, id: number) =>
      encoderJsonOf(entries.map(([k, v]) => [k, k === key ? id : v]));
    expectCspError(() => parse(HAND_VOCAB_BPE, withId("abc", 300)), "dir/encoder.json", '"abc"', "rank 257");
    expectCspError(() => parse(HAND_VOCAB_BPE, withId("<|endoftext|>", 258)), "dir/encoder.json", "259");
    const missing = encoderJsonOf(entries.filter(([k]) => k !== "Ġa"));
    expectCspError(() => parse(HAND_VOCAB_BPE, missing), "dir/encoder.json", "258");
    const extra = encoderJsonOf([...entries, ["zz", 260]]);
    expectCspError(() => parse(HAND_VOCAB_BPE, extra), "dir/encoder.json", '"zz"');
    const noEot = encoderJsonOf(entries.filter(([k]) => k !== "<|endoftext|>"));
    expectCspError(() => parse(HAND_VOCAB_BPE, noEot), "dir/encoder.json", "<|endoftext|>");
    expectCspError(() => parse(HAND_VOCAB_BPE, "{not json"), "dir/encoder.json", "JSON");
    expectCspError(() => parse(HAND_VOCAB_BPE, "[1, 2]"), "dir/encoder.json", "object");
    const badChar = encoderJsonOf([...entries, ["a b", 260]]);
    expectCspError(() => parse(HAND_VOCAB_BPE, badChar), "dir/encoder.json", "alphabet");
    expect(handSingleByteSpellings().length).toBe(256);
  });

  it("reports missing and non-UTF-8 files by path", () => {
    const dir = mkdtempSync(join(tmpdir(), "csp-tok-"));
    expectCspError(() => loadTokenizer(join(dir, "nope")), "nope", "not found");
    writeFileSync(join(dir, "vocab.bpe"), HAND_VOCAB_BPE);
    expectCspError(() => loadTokenizer(dir), join(dir, "encoder.json"), "missing");
    writeFileSync(join(dir, "encoder.json"), Buffer.from([0x7b, 0xff, 0x7d]));
    expectCspError(() => loadTokenizer(dir), join(dir, "encoder.json"), "UTF-8");
    writeFileSync(join(dir, "encoder.json"), HAND_ENCODER_JSON);
    expect(loadTokenizer(dir).encode("abc")).toEqual([ID.abc]);
  });
});
