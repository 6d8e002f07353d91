import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CspError } from "../../src/errors.js";
import { formatTaskJsonl, loadTask, parseTaskJsonl, writeTaskJsonl } from "../../src/tasks/index.js";
import { BYTE_RANK, Tokenizer } from "../../src/tokenizer/index.js";

const bytes = (s: string) => new TextEncoder().encode(s);
/** Byte-level tokenizer plus two merges: `")` = id 256 and `')` = id 257. */
const tok = Tokenizer.fromMerges([
  { first: bytes('"'), second: bytes(")") },
  { first: bytes("'"), second: bytes(")") },
]);
const id = (ch: string) => BYTE_RANK[ch.charCodeAt(0)];

const dir = mkdtempSync(join(tmpdir(), "csp-tasks-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileCounter = 0;
function file(text: string, name = `t${fileCounter++}.jsonl`): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const line = (o: Record<string, unknown>) => JSON.stringify(o);
const good = { a: 'print("hi', b: "print('hi", a_next: '")', b_next: "')" };

function loadError(text: string): string {
  const path = file(text);
  try {
    loadTask(path, tok);
  } catch (e) {
    expect(e).toBeInstanceOf(CspError);
    const message = (e as Error).message;
    expect(message).not.toContain("\n");
    expect(message.startsWith(`${path}: `)).toBe(true);
    return message.slice(path.length + 2);
  }
  throw new Error("expected loadTask to fail");
}

describe("loadTask", () => {
  it("tokenizes a valid file", () => {
    const path = file(
      `${line({ ...good, id: "p1", split: "test" })}\n\n${line({ ...good, id: 7, split: "train" })}\n`,
      "quotes.jsonl",
    );
    const task = loadTask(path, tok);
    expect(task.name).toBe("quotes");
    expect(task.pairs.map((p) => [p.id, p.split])).toEqual([
      ["p1", "test"],
      ["7", "train"],
    ]);
    const p = task.pairs[0];
    expect([...p.a]).toEqual([..."print"].map(id).concat([BYTE_RANK[0x28], id('"'), id("h"), id("i")]));
    expect([...p.b]).toEqual([..."print(", ..."'hi"].map(id));
    expect(p.aNext).toBe(256);
    expect(p.bNext).toBe(257);
  });

  it("keeps the last maxLen tokens (left truncation)", () => {
    const path = file(line({ a: "abcdef", b: "xyz", a_next: '")', b_next: "')" }));
    const task = loadTask(path, tok, { maxLen: 4 });
    expect([...task.pairs[0].a]).toEqual([..."cdef"].map(id));
    expect([...task.pairs[0].b]).toEqual([..."xyz"].map(id));
  });

  it("assigns ids from line numbers and splits by id hash when no line has a split", () => {
    const lines = Array.from({ length: 12 }, () => line(good)).join("\n");
    const task = loadTask(file(lines), tok);
    expect(task.pairs.map((p) => p.id)).toEqual(Array.from({ length: 12 }, (_, i) => String(i + 1)));
    // Expected from FNV-1a computed independently (Python): ids 6, 8 and 12 hash to 0 mod 5.
    const expected = task.pairs.map((p) => (["6", "8", "12"].includes(p.id) ? "test" : "train"));
    expect(task.pairs.map((p) => p.split)).toEqual(expected);
  });

  it("round-trips formatTaskJsonl / writeTaskJsonl", () => {
    const lines = [{ id: "x", split: "train" as const, ...good }];
    expect(formatTaskJsonl(lines)).toBe(
      '{"id":"x","split":"train","a":"print(\\"hi","b":"print(\'hi","a_next":"\\")","b_next":"\')"}\n',
    );
    const path = join(dir, "sub", "rt.jsonl");
    writeTaskJsonl(path, lines);
    expect(parseTaskJsonl(formatTaskJsonl(lines), path).map((l) => l.value)).toEqual(lines);
    expect(loadTask(path, tok).pairs[0].id).toBe("x");
  });
});

describe("loadTask errors", () => {
  it("malformed JSON names the line", () => {
    expect(loadError(`${line(good)}\n${line(good)}\n{"a": "x",\n`)).toMatch(/^line 3: malformed JSON/);
  });
  it("non-object line", () => {
    expect(loadError(`[1, 2]\n`)).toBe("line 1: expected a JSON object, got [1,2]");
  });
  it("missing field", () => {
    const { b_next: _omit, ...rest } = good;
    expect(loadError(`${line(good)}\n${line(rest)}\n`)).toBe('line 2: missing field "b_next"');
  });
  it("wrongly typed field", () => {
    expect(loadError(line({ ...good, a: 5 }))).toBe('line 1: "a" must be a string, got 5');
  });
  it("empty field", () => {
    expect(loadError(line({ ...good, b: "" }))).toBe('line 1: "b" is empty');
  });
  it("unknown field", () => {
    expect(loadError(line({ ...good, splt: "test" }))).toMatch(/^line 1: unknown field "splt"/);
  });
  it("multi-token target says how it encodes", () => {
    expect(loadError(`${line(good)}\n${line({ ...good, a_next: "]]\n" })}\n`)).toBe(
      'line 2: "a_next" "]]\\n" encodes to 3 tokens ("]" "]" "\\n"), expected 1',
    );
  });
  it("identical targets", () => {
    expect(loadError(line({ ...good, b_next: '")' }))).toBe('line 1: "a_next" and "b_next" are both "\\")"');
  });
  it("empty file", () => {
    expect(loadError("")).toBe("no task pairs (the file is empty)");
    expect(loadError("\n  \n")).toBe("no task pairs (the file is empty)");
  });
  it("unknown split", () => {
    expect(loadError(line({ ...good, split: "dev" }))).toBe(
      'line 1: unknown split "dev" (expected "train" or "test")',
    );
  });
  it("split on some lines only", () => {
    expect(loadError(`${line({ ...good, split: "train" })}\n${line(good)}\n`)).toMatch(/^line 2: no "split"/);
  });
  it("repeated id", () => {
    expect(loadError(`${line({ ...good, id: "q" })}\n${line({ ...good, id: "q" })}\n`)).toBe(
      'line 2: id "q" repeats line 1',
    );
    // An explicit id equal to another line's default (line-number) id.
    expect(loadError(`${line(good)}\n${line({ ...good, id: "1" })}\n`)).toBe(
      'line 2: id "1" is used by another line',
    );
  });
  it("missing file", () => {
    expect(() => loadTask(join(dir, "nope.jsonl"), tok)).toThrow(/nope\.jsonl: cannot read/);
  });
});
