import { Command } from "commander";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import {
  registerTokenizer,
  runTokenizerEncode,
  runTokenizerTrain,
} from "../../src/cli/commands/tokenizer.js";
import { CspError } from "../../src/errors.js";
import { loadTokenizer } from "../../src/tokenizer/tokenizer_files.js";
import { makeTree } from "../data/corpus_fixture.js";

function corpus(): string {
  const files: Record<string, string> = {};
  for (let i = 0; i < 12; i++)
    files[`m${i}.py`] = `def f${i}(x):\n    return [x, ${i}]\n\nprint(f${i}('a'))\n`;
  return makeTree(files);
}

describe("csp tokenizer", () => {
  it("train writes a loadable tokenizer and summarises size, time and compression", () => {
    const out = mkdtempSync(join(tmpdir(), "csp-tokcli-"));
    const summary = runTokenizerTrain({ corpus: [corpus()], vocabSize: 270, out, progress: false });
    expect(summary).toMatch(
      /^trained 270-token tokenizer on \d+ files .* in [\d.]+ s: [\d.]+ bytes\/token; wrote /,
    );
    expect(summary).toContain(join(out, "vocab.bpe"));
    const tok = loadTokenizer(out);
    expect(tok.vocabSize).toBe(270);
    const ratio = Number(/([\d.]+) bytes\/token/.exec(summary)![1]);
    expect(ratio).toBeGreaterThan(1);
  });

  it("train refuses a bad vocab size before reading the corpus", () => {
    const out = mkdtempSync(join(tmpdir(), "csp-tokcli-"));
    expect(() =>
      runTokenizerTrain({ corpus: ["/nonexistent"], vocabSize: 100, out, progress: false }),
    ).toThrow(/vocab size 100/);
  });

  it("encode prints ids (byte 'a' is id 64, <|endoftext|> the last id) and pieces", () => {
    const out = mkdtempSync(join(tmpdir(), "csp-tokcli-"));
    runTokenizerTrain({ corpus: [corpus()], vocabSize: 270, out, progress: false });
    expect(runTokenizerEncode({ tokenizer: out, text: "a" })).toBe("64");
    expect(runTokenizerEncode({ tokenizer: out, text: "<|endoftext|>", allowSpecial: true })).toBe("269");
    expect(runTokenizerEncode({ tokenizer: out, text: "a\n", pieces: true })).toBe("64\ta\n198\tĊ");
    expect(() => runTokenizerEncode({ tokenizer: join(out, "missing"), text: "a" })).toThrow(CspError);
  });

  it("registers train and encode subcommands with commander", async () => {
    const out = mkdtempSync(join(tmpdir(), "csp-tokcli-"));
    runTokenizerTrain({ corpus: [corpus()], vocabSize: 270, out, progress: false });
    const program = new Command().exitOverride();
    registerTokenizer(program);
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      await program.parseAsync(["node", "csp", "tokenizer", "encode", "--tokenizer", out, "--text", "a"]);
      expect(log).toHaveBeenCalledWith("64");
    } finally {
      log.mockRestore();
    }
    const names = program.commands.find((c) => c.name() === "tokenizer")!.commands.map((c) => c.name());
    expect(names).toEqual(["train", "encode"]);
  });
});
