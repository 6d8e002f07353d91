import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { registerLoss } from "../../src/cli/commands/loss.js";
import { registerPrune } from "../../src/cli/commands/prune.js";
import { saveModel } from "../../src/model/checkpoint.js";
import { plantedModel } from "../../src/prune/synthetic.js";
import { Rng } from "../../src/random/rng.js";
import { saveTokenizer } from "../../src/tokenizer/index.js";
import { BYTE_PLANTED_TOKENS, BYTE_TOKENIZER, writeMarkerTask } from "../helpers/planted_text.js";
import { makeSyntheticCorpus } from "../train/synthetic_corpus.js";

const root = mkdtempSync(join(tmpdir(), "csp-model-tokenizer-cli-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const taskPath = join(root, "marker.jsonl");
let corpus: string;

/** Runs one csp command in-process; returns what it printed on stdout. */
async function csp(...args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerLoss(program);
  registerPrune(program);
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    await program.parseAsync(args, { from: "user" });
    return log.mock.calls.map((c) => String(c[0])).join("\n");
  } finally {
    log.mockRestore();
  }
}

beforeAll(() => {
  corpus = makeSyntheticCorpus({ seed: 5, files: 8 });
  writeMarkerTask(taskPath, 32, new Rng(8));
});

/** The planted model under `root/name/model`, its byte tokenizer where `tokenizerAt` says. */
function modelDir(name: string, tokenizerAt: (model: string) => string): string {
  const model = join(root, name, "model");
  saveModel(model, plantedModel({ vocab: BYTE_TOKENIZER.vocabSize, tokens: BYTE_PLANTED_TOKENS, seed: 4 }));
  saveTokenizer(tokenizerAt(model), BYTE_TOKENIZER);
  return model;
}

describe("one tokenizer look-up for every command", () => {
  // Before, `csp prune` found a tokenizer in these places and `csp loss` (then `csp eval`) refused them.
  const layouts: [string, (model: string) => string][] = [
    ["in the model directory itself", (m) => m],
    ["in ../tokenizer beside the model", (m) => join(m, "..", "tokenizer")],
  ];
  it.each(layouts)("a tokenizer %s serves csp loss and csp prune alike", async (name, tokenizerAt) => {
    const model = modelDir(name.replace(/\W+/g, "-"), tokenizerAt);
    const loss = JSON.parse(
      await csp("loss", "--model", model, "--corpus", corpus, "--max-windows", "2", "--json"),
    );
    expect(loss.windows).toBe(2);
    expect(loss.loss).toBeGreaterThan(0);
    const circuit = join(root, `${name.replace(/\W+/g, "-")}.json`);
    const pruned = await csp(
      ...["prune", "--model", model, "--task", taskPath, "--out", circuit, "--ablation", "zero"],
      ...["--steps", "8", "--batch", "8", "--eval-pairs", "8", "--effects-pairs", "2", "--quiet"],
    );
    expect(pruned).toMatch(/^wrote .*\.json: \d+\/136 nodes/);
  });
});
