import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CspError } from "../../src/errors.js";
import { TASK_GENERATORS, loadTask, writeTaskJsonl, type GeneratedPair } from "../../src/tasks/index.js";
import { Tokenizer } from "../../src/tokenizer/index.js";
import { pythonSyntaxErrors, trainStdlibTokenizer } from "./python_env.js";

/** The paper's tasks this project must provide (issue "Tasks"). */
const REQUIRED = [
  "single_double_quote",
  "bracket_counting",
  "set_or_string",
  "set_or_string_fixedvarname",
  "for_while",
  "else_elif",
  "var_swap",
  "if_equals",
  "enumerate_range",
  "lambda_func",
  "with_open",
  "while_return_true",
];

/**
 * Allowed (a_next, b_next) per fixed-target task: the texts each task documents, best first. Under a
 * stdlib tokenizer the choice may be any of them, but one task uses one pair throughout.
 */
const FIXED_TARGETS: Record<string, [string, string][]> = {
  single_double_quote: [
    ['")', "')"],
    ['")\n', "')\n"],
  ],
  final_kwarg: [
    ["=None", "):\n"],
    ["=None", "):"],
  ],
  set_or_string: [[".add", " +="]],
  set_or_string_fixedvarname: [[".add", " +="]],
  with_as: [[")", ")\n"]],
  bracket_brace: [['":', '",']],
  with_open: [["r", "w"]],
  bracket_counting: [
    ["]]\n", "]\n"],
    ["]]", "]\n"],
    ["]", "]\n"],
  ],
  for_while: [
    [" in", ":\n"],
    [" in", ":"],
  ],
  if_ternary: [
    [":\n", " else"],
    [":", " else"],
  ],
  lambda_func: [
    [":", "("],
    [":", "(self"],
  ],
  if_equals: [[" ==", " ="]],
  enumerate_range: [
    [" enumerate", " range"],
    [" enum", " range"],
  ],
  var_if: [
    [":\n", "\n"],
    [":", "\n"],
  ],
  while_return_true: [
    [":\n", "\n"],
    [":", "\n"],
  ],
};

const N = 60;
let tok: Tokenizer;
const generated = new Map<string, GeneratedPair[]>();
/** Python's verdict on each pair's full A and B texts, by task (one Python run for all). */
const syntax = new Map<string, (string | null)[]>();
const dir = mkdtempSync(join(tmpdir(), "csp-taskgen-"));

beforeAll(() => {
  tok = trainStdlibTokenizer();
  for (const [name, g] of Object.entries(TASK_GENERATORS))
    generated.set(name, g.generatePairs(N, { seed: 7, tokenizer: tok }));
  const names = [...generated.keys()];
  const texts = names.flatMap((name) =>
    generated.get(name)!.flatMap((p) => [p.line.a + p.aCont, p.line.b + p.bCont]),
  );
  const errors = pythonSyntaxErrors(texts);
  names.forEach((name, k) => syntax.set(name, errors.slice(k * 2 * N, (k + 1) * 2 * N)));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Independent check: the text tokenizes as encode(prefix) followed by exactly the target token. */
function isNextToken(prefix: string, next: string, cont: string): boolean {
  const ids = tok.encode(next);
  if (ids.length !== 1 || !cont.startsWith(next)) return false;
  const head = tok.encode(prefix);
  const full = tok.encode(prefix + cont);
  return head.every((x, i) => full[i] === x) && full[head.length] === ids[0];
}

describe("task generators", () => {
  it("include the required tasks and describe each in one line", () => {
    for (const name of REQUIRED) expect(Object.keys(TASK_GENERATORS)).toContain(name);
    expect(Object.keys(TASK_GENERATORS).length).toBeGreaterThanOrEqual(12);
    for (const g of Object.values(TASK_GENERATORS)) {
      expect(g.description.length).toBeGreaterThan(10);
      expect(g.description).not.toContain("\n");
    }
  });

  for (const name of Object.keys(TASK_GENERATORS)) {
    describe(name, () => {
      it("yields n distinct, varied minimal pairs with swapped single-token targets", () => {
        const pairs = generated.get(name)!;
        expect(pairs.length).toBe(N);
        const keys = new Set(pairs.map((p) => `${p.line.a}\u0000${p.line.b}`));
        expect(keys.size).toBe(N);
        // Varied: many distinct contexts, not one template with a counter.
        expect(new Set(pairs.map((p) => p.line.a.split("\n").slice(0, -1).join("\n"))).size).toBeGreaterThan(
          N / 2,
        );
        for (const { line, aCont, bCont } of pairs) {
          expect(line.a).not.toBe(line.b);
          expect(line.a_next).not.toBe(line.b_next);
          expect(tok.encode(line.a_next).length).toBe(1);
          expect(tok.encode(line.b_next).length).toBe(1);
          expect(isNextToken(line.a, line.a_next, aCont)).toBe(true);
          expect(isNextToken(line.b, line.b_next, bCont)).toBe(true);
          expect(tok.encode(line.a).length).toBeLessThan(255);
        }
      });

      it("is real Python: prefix + continuation parses", () => {
        const pairs = generated.get(name)!;
        const texts = pairs.flatMap((p) => [p.line.a + p.aCont, p.line.b + p.bCont]);
        const errors = syntax.get(name)!;
        expect(errors.length).toBe(texts.length);
        const bad = errors
          .map((e, i) => (e === null ? null : `${e}: ${JSON.stringify(texts[i])}`))
          .filter((e) => e !== null);
        expect(bad).toEqual([]);
      });

      if (FIXED_TARGETS[name])
        it("uses one documented target pair throughout", () => {
          const pairs = generated.get(name)!;
          const used = new Set(pairs.map((p) => JSON.stringify([p.line.a_next, p.line.b_next])));
          expect(used.size).toBe(1);
          expect(FIXED_TARGETS[name].map((t) => JSON.stringify(t))).toContain([...used][0]);
        });

      it("is deterministic by seed and splits the last 20% into test", () => {
        const g = TASK_GENERATORS[name];
        const again = g.generate(N, { seed: 7, tokenizer: tok });
        expect(again).toEqual(generated.get(name)!.map((p) => p.line));
        const other = g.generate(N, { seed: 8, tokenizer: tok });
        expect(other.filter((l, i) => l.a === again[i].a).length).toBeLessThan(N / 4);
        expect(again.map((l) => l.split)).toEqual(
          Array.from({ length: N }, (_, i) => (i >= N - 12 ? "test" : "train")),
        );
      });
    });
  }

  it("writes files that loadTask reads back with the same token ids", () => {
    const lines = TASK_GENERATORS.bracket_counting.generate(20, { seed: 1, tokenizer: tok });
    const path = join(dir, "bracket_counting.jsonl");
    writeTaskJsonl(path, lines);
    const task = loadTask(path, tok);
    expect(task.name).toBe("bracket_counting");
    expect(task.pairs.length).toBe(20);
    expect(task.pairs.filter((p) => p.split === "test").length).toBe(4);
    expect([...task.pairs[3].a]).toEqual(tok.encode(lines[3].a));
    expect(tok.decode([task.pairs[3].bNext])).toBe("]\n");
  });

  it("fails clearly when the tokenizer cannot express a task's targets", () => {
    const bytesOnly = Tokenizer.fromMerges([]);
    const run = () => TASK_GENERATORS.single_double_quote.generate(5, { seed: 0, tokenizer: bytesOnly });
    expect(run).toThrow(CspError);
    expect(run).toThrow(
      /^task single_double_quote: this tokenizer cannot express the targets as single next tokens: "\\"\)" is "\\"" "\)"/,
    );
  });

  it("rejects a bad n", () => {
    expect(() => TASK_GENERATORS.var_swap.generate(0, { seed: 0, tokenizer: tok })).toThrow(
      /n must be a positive integer/,
    );
  });
});
