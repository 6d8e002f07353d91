import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { beforeAll, describe, expect, test, vi } from "vitest";
import { registerLoss } from "../../src/cli/commands/loss.js";
import { registerSample } from "../../src/cli/commands/sample.js";
import { registerTrain } from "../../src/cli/commands/train.js";
import { CspError } from "../../src/errors.js";
import { makeSyntheticCorpus } from "./synthetic_corpus.js";

/** Runs csp with the given arguments in-process and returns what it printed on stdout. */
async function csp(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerTrain(program);
  registerLoss(program);
  registerSample(program);
  const out: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  const write = vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => {
    out.push(String(s));
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    await program.parseAsync(["node", "csp", ...args]);
  } finally {
    log.mockRestore();
    write.mockRestore();
    err.mockRestore();
  }
  return out.join("\n");
}

let corpus: string;
let work: string;
let run: string;

beforeAll(async () => {
  corpus = makeSyntheticCorpus({ seed: 11, files: 60 });
  work = mkdtempSync(join(tmpdir(), "csp-cli-"));
  run = join(work, "run");
  const summary = await csp([
    "train",
    "--preset",
    "tiny",
    "--steps",
    "60",
    "--corpus",
    corpus,
    "--out",
    run,
    "--cache",
    join(work, "cache"),
    "--val-fraction",
    "0.1",
    "--no-progress",
  ]);
  const s = JSON.parse(summary) as { steps: number; val_loss: number };
  expect(s.steps).toBe(61);
  expect(s.val_loss).toBeGreaterThan(0);
});

describe("csp loss / csp sample", () => {
  test("loss --json reports the loss over the corpus's training-length windows", async () => {
    const r = JSON.parse(
      await csp(["loss", "--model", run, "--corpus", corpus, "--json", "--max-windows", "24"]),
    ) as {
      loss: number;
      predicted_tokens: number;
      windows: number;
    };
    expect(r.windows).toBe(24);
    expect(r.predicted_tokens).toBe(24 * 31); // n_ctx 32: 31 predictions per window
    expect(r.loss).toBeGreaterThan(0.1);
    expect(r.loss).toBeLessThan(4);
  });

  test("sample is seeded: same seed, same text; another seed, other text", async () => {
    const args = ["sample", "--model", run, "--prompt", "def ", "--tokens", "30"];
    const a = await csp([...args, "--seed", "1"]);
    const b = await csp([...args, "--seed", "1"]);
    const c = await csp([...args, "--seed", "2"]);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a.startsWith("def ")).toBe(true);
  });

  test("greedy sampling (temperature 0) ignores the seed", async () => {
    const args = ["sample", "--model", run, "--prompt", "for ", "--tokens", "20", "--temperature", "0"];
    expect(await csp([...args, "--seed", "1"])).toBe(await csp([...args, "--seed", "9"]));
  });

  test("eval, the old name of loss, still works", async () => {
    const args = ["--model", run, "--corpus", corpus, "--json", "--max-windows", "4"];
    expect(await csp(["eval", ...args])).toBe(await csp(["loss", ...args]));
  });

  test("a tokenizer with more ids than the model's vocabulary is refused", async () => {
    const other = join(work, "other");
    await csp([
      "train",
      "--preset",
      "tiny",
      "--steps",
      "1",
      "--vocab-size",
      "300",
      "--corpus",
      corpus,
      "--out",
      other,
      "--cache",
      join(work, "cache"),
      "--val-fraction",
      "0.1",
    ]);
    await expect(
      csp(["loss", "--model", other, "--corpus", corpus, "--tokenizer", join(run, "tokenizer")]),
    ).rejects.toThrow(/tokenizer has 320 ids, more than the vocab_size 300 of the model in /);
    await expect(csp(["sample", "--model", run, "--tokens", "x"])).rejects.toThrow(CspError);
    await expect(csp(["loss", "--model", join(work, "missing"), "--corpus", corpus])).rejects.toThrow(
      /does not exist/,
    );
  });
});
