import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { simplePythonModule } from "../../src/data/simple_python.js";
import { simpleCorpusFile, writeSimpleCorpus } from "../../src/data/simple_corpus.js";
import {
  resolveCorpus,
  SIMPLE_KEYWORD,
  STDLIB_KEYWORD,
  defaultCorpus,
} from "../../src/data/default_corpus.js";

describe("simplePythonModule", () => {
  it("is a pure function of its seed", () => {
    expect(simplePythonModule(7)).toBe(simplePythonModule(7));
    expect(simplePythonModule(7)).not.toBe(simplePythonModule(8));
  });

  it("writes Python that python3 parses, for 300 seeds", () => {
    const modules = Array.from({ length: 300 }, (_, i) => simplePythonModule(i));
    const script =
      "import ast, json, sys\n" +
      "bad = []\n" +
      "for i, src in enumerate(json.load(sys.stdin)):\n" +
      "    try:\n        ast.parse(src)\n" +
      "    except SyntaxError as e:\n        bad.append((i, str(e)))\n" +
      "print(json.dumps(bad))\n";
    const r = spawnSync("python3", ["-c", script], { input: JSON.stringify(modules), encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it("covers the idioms the paper's tasks probe, in both quote styles", () => {
    const text = Array.from({ length: 200 }, (_, i) => simplePythonModule(i)).join("\n");
    for (const idiom of [
      "elif ",
      "else:\n",
      "while True:\n",
      "with open(",
      "lambda ",
      "self.",
      " = set()\n",
      ".add(",
      " += ",
      "for i, ",
      "enumerate(",
      ".items():",
      "def __init__(self, ",
      "=None",
      " if ",
      "[[",
      '("',
      "('",
      'f"',
      "return True\n",
    ])
      expect(text, idiom).toContain(idiom);
  });
});

describe("the corpus the zoo was trained on", () => {
  it("is still the text the zoo's models saw (files 0 and 399 of the default corpus, by hash)", () => {
    // Golden hashes of the files written on 2026-12-02 and tokenised for models/zoo: a change to the
    // grammar or its pools changes the corpus, and the zoo would no longer be reproducible from the code.
    const hash = (i: number) =>
      createHash("sha256")
        .update(simpleCorpusFile(0, i, 40))
        .digest("hex");
    expect(hash(0)).toBe("b87606f3c16f47303f808477254463eddb9a8ba45aca107cd9608a470892da05");
    expect(hash(399)).toBe("61ed662282431a52b37971d87fd989ca2920e4faab4877e2033a82cfb95fca10");
  });
});

describe("writeSimpleCorpus", () => {
  it("writes the numbered files, each the concatenation of its seeded modules", () => {
    const out = join(mkdtempSync(join(tmpdir(), "csp-simple-")), "corpus");
    const bytes = writeSimpleCorpus({ out, files: 3, modulesPerFile: 2, seed: 5 });
    expect(readdirSync(out).sort()).toEqual(["simple_00000.py", "simple_00001.py", "simple_00002.py"]);
    const second = readFileSync(join(out, "simple_00001.py"), "utf8");
    expect(second).toBe(simpleCorpusFile(5, 1, 2));
    expect(second).not.toBe(simpleCorpusFile(6, 1, 2));
    const total = readdirSync(out).reduce((n, f) => n + readFileSync(join(out, f)).length, 0);
    expect(bytes).toBe(total);
  });

  it("refuses a directory holding other files", () => {
    const out = mkdtempSync(join(tmpdir(), "csp-simple-"));
    writeFileSync(join(out, "mine.py"), "x = 1\n");
    expect(() => writeSimpleCorpus({ out, files: 2, modulesPerFile: 1, seed: 0 })).toThrow(
      /holds other files \(mine\.py\)/,
    );
  });
});

describe("resolveCorpus", () => {
  it("expands @stdlib to the default corpus and @simple to a generated corpus in the cache", () => {
    const cache = mkdtempSync(join(tmpdir(), "csp-cache-"));
    const r = resolveCorpus([STDLIB_KEYWORD, SIMPLE_KEYWORD, "/some/dir"], cache);
    const std = defaultCorpus();
    expect(r.paths.slice(0, std.paths.length)).toEqual(std.paths);
    const simpleDir = r.paths[std.paths.length];
    expect(simpleDir).toBe(join(cache, "simple-python-seed0"));
    expect(readdirSync(simpleDir).filter((f) => f.endsWith(".py"))).toHaveLength(400);
    expect(r.paths.at(-1)).toBe("/some/dir");
    expect(r.description).toContain("simple-idioms corpus");
    // A second call reuses the finished corpus.
    const mtime = readFileSync(join(simpleDir, "simple_00000.py"), "utf8");
    expect(resolveCorpus([SIMPLE_KEYWORD], cache).paths).toEqual([simpleDir]);
    expect(readFileSync(join(simpleDir, "simple_00000.py"), "utf8")).toBe(mtime);
  });

  it("falls back to the default corpus when no path is given", () => {
    expect(resolveCorpus(undefined)).toEqual(defaultCorpus());
    expect(resolveCorpus([])).toEqual(defaultCorpus());
  });
});
