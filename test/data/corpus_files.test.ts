import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CspError } from "../../src/errors.js";
import { collectPythonFiles } from "../../src/data/corpus_files.js";
import { readDocument } from "../../src/data/read_document.js";
import { readCorpusDocuments } from "../../src/data/corpus_documents.js";
import { findPythonStdlib } from "../../src/data/python_stdlib.js";
import { makeCorpus, makeTree } from "./corpus_fixture.js";
import { existsSync } from "node:fs";

describe("collectPythonFiles", () => {
  it("finds .py files sorted, skipping caches, site-packages, hidden dirs and directory links", () => {
    const root = makeCorpus();
    const files = collectPythonFiles([root]);
    expect(files.map((f) => f.relPath)).toEqual([
      "a.py",
      "b.py",
      "blank.py",
      "latin1.py",
      "pkg/__init__.py",
      "pkg/mod.py",
      "pkg/sub/deep.py",
    ]);
    expect(files[0].path).toBe(join(root, "a.py"));
    expect(files[0].size).toBe("import os\nprint(os.getcwd())\n".length);
  });

  it("accepts single files and removes duplicates whatever the argument order", () => {
    const root = makeCorpus();
    const a = collectPythonFiles([join(root, "pkg"), join(root, "a.py"), join(root, "pkg/mod.py")]);
    const b = collectPythonFiles([join(root, "a.py"), join(root, "pkg")]);
    expect(a.map((f) => f.path)).toEqual(b.map((f) => f.path));
    expect(a.map((f) => f.relPath)).toEqual(["a.py", "__init__.py", "mod.py", "sub/deep.py"]);
  });

  it("reports missing paths and corpora without .py files", () => {
    expect(() => collectPythonFiles(["/nonexistent/corpus"])).toThrow(
      /\/nonexistent\/corpus: corpus path not found/,
    );
    const empty = makeTree({ "readme.md": "# hi\n" });
    expect(() => collectPythonFiles([empty])).toThrow(CspError);
    expect(() => collectPythonFiles([empty])).toThrow(/no \.py files/);
    expect(() => collectPythonFiles([])).toThrow(CspError);
  });
});

describe("readDocument / readCorpusDocuments", () => {
  it("drops a BOM, skips non-UTF-8 and blank files, and counts them", () => {
    const root = makeCorpus();
    const files = collectPythonFiles([root]);
    const byName = (name: string) => files.find((f) => f.relPath === name)!;
    expect(readDocument(byName("b.py"))).toEqual({ text: "print('bom')\n" });
    expect(readDocument(byName("latin1.py"))).toEqual({ skipped: "not-utf8" });
    expect(readDocument(byName("blank.py"))).toEqual({ skipped: "empty" });
    const corpus = readCorpusDocuments([root], 0.5);
    expect(corpus.skippedNotUtf8).toEqual([join(root, "latin1.py")]);
    expect(corpus.skippedEmpty).toEqual([join(root, "blank.py"), join(root, "pkg/__init__.py")]);
    const used = [...corpus.train, ...corpus.val].map((d) => d.file.relPath).sort();
    expect(used).toEqual(["a.py", "b.py", "pkg/mod.py", "pkg/sub/deep.py"]);
    expect(corpus.train.length).toBeGreaterThan(0);
    expect(corpus.val.length).toBeGreaterThan(0);
  });

  it("needs two usable files", () => {
    const root = makeTree({ "only.py": "x = 1\n", "bad.py": Uint8Array.of(0xff) });
    expect(() => readCorpusDocuments([root])).toThrow(
      /only 1 usable \.py file\(s\) of 2 \(1 not UTF-8, 0 empty\)/,
    );
  });
});

describe("findPythonStdlib", () => {
  it("locates a standard library directory containing os.py", () => {
    expect(existsSync(join(findPythonStdlib(), "os.py"))).toBe(true);
  });
});
