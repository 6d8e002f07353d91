import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, describe, expect, it, vi } from "vitest";
import { defaultTokenizerDir, registerTasks, tasksMake } from "../../src/cli/commands/tasks.js";
import { CspError } from "../../src/errors.js";
import { TASK_GENERATORS, loadTask } from "../../src/tasks/index.js";
import { Tokenizer, saveTokenizer } from "../../src/tokenizer/index.js";
import { REPO, csp } from "../helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "csp-tasks-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// with_open's targets `r`/`w` are single bytes, so a byte-level tokenizer can express them.
const tokDir = join(dir, "tok");
saveTokenizer(tokDir, Tokenizer.fromMerges([]));

describe("csp tasks", () => {
  it("make writes n pairs that load back", () => {
    const out = join(dir, "out", "with_open.jsonl");
    const summary = tasksMake("with_open", { n: "10", seed: "3", tokenizer: tokDir, out });
    expect(summary).toBe(`wrote ${out}: 10 with_open pairs (8 train, 2 test), targets "r" / "w"`);
    expect(readFileSync(out, "utf8").trimEnd().split("\n").length).toBe(10);
    const task = loadTask(out, Tokenizer.fromMerges([]));
    expect(task.pairs.length).toBe(10);
    // Same seed, same file.
    const out2 = join(dir, "again.jsonl");
    tasksMake("with_open", { n: 10, seed: 3, tokenizer: tokDir, out: out2 });
    expect(readFileSync(out2, "utf8")).toBe(readFileSync(out, "utf8"));
  });

  it("explains a missing default tokenizer", () => {
    const missing = join(dir, "models", "default", "tokenizer");
    expect(() => tasksMake("with_open", { n: "5", out: join(dir, "x.jsonl") }, missing)).toThrow(
      new CspError(
        `${missing}: the default model's tokenizer is not there; pass --tokenizer DIR (vocab.bpe + encoder.json)`,
      ),
    );
    expect(defaultTokenizerDir().endsWith(join("models", "default", "tokenizer"))).toBe(true);
  });

  it("rejects unknown tasks and bad counts", () => {
    expect(() => tasksMake("nope", { n: "5", tokenizer: tokDir, out: join(dir, "x.jsonl") })).toThrow(
      /unknown task "nope"/,
    );
    expect(() => tasksMake("with_open", { n: "0", tokenizer: tokDir, out: join(dir, "x.jsonl") })).toThrow(
      /--n: expected an integer ≥ 1, got "0"/,
    );
    expect(() => tasksMake("with_open", { n: "3x", tokenizer: tokDir, out: join(dir, "x.jsonl") })).toThrow(
      /--n/,
    );
  });

  it("list prints every generator with its description", async () => {
    const program = new Command().exitOverride();
    registerTasks(program);
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      await program.parseAsync(["tasks", "list"], { from: "user" });
      const text = log.mock.calls.map((c) => String(c[0])).join("\n");
      const lines = text.split("\n");
      expect(lines.length).toBe(Object.keys(TASK_GENERATORS).length);
      expect(lines.find((l) => l.startsWith("bracket_counting "))).toContain("close a nested list");
    } finally {
      log.mockRestore();
    }
  });

  it("make parses its options through commander", async () => {
    const program = new Command().exitOverride();
    registerTasks(program);
    const out = join(dir, "cmd.jsonl");
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      await program.parseAsync(
        ["tasks", "make", "with_open", "--n", "4", "--tokenizer", tokDir, "--out", out],
        {
          from: "user",
        },
      );
      expect(String(log.mock.calls[0][0])).toMatch(/^wrote .*cmd\.jsonl: 4 with_open pairs/);
    } finally {
      log.mockRestore();
    }
    expect(readFileSync(out, "utf8").trimEnd().split("\n").length).toBe(4);
  });

  it("loss says whether the bundled model has learned each task, and names a missing file", () => {
    const files = ["while_return_true", "indent_for"].map((t) =>
      join(REPO, "models", "default", "tasks", `${t}.jsonl`),
    );
    const text = csp(["tasks", "loss", ...files]);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      /^while_return_true: 0\.0\d{3} on 64 test sequences \(learned\)\nindent_for: /,
    );
    const json = csp(["tasks", "loss", files[0], "--json", "--target-loss", "0.001"]);
    const row = JSON.parse(json.stdout) as { loss_full: number; learned: boolean; test_sequences: number };
    expect(row.test_sequences).toBe(64);
    expect(row.loss_full).toBeGreaterThan(0.001);
    expect(row.learned).toBe(false); // above the 0.001 target given
    const missing = csp(["tasks", "loss", join(dir, "nope.jsonl")]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^csp: .*nope\.jsonl: cannot read/);
  });
});
