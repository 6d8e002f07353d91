import { existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { findPythonStdlib } from "./python_stdlib.js";
import { DEFAULT_SIMPLE_CORPUS, writeSimpleCorpus } from "./simple_corpus.js";

/**
 * Parts of the standard library that are mostly data or test fixtures rather than idiomatic code:
 * character-map tables (encodings), help-text dumps (pydoc_data), test suites with generated inputs,
 * and GUI / 2to3 / packaging trees. A small model trained on them learns to emit hex tables.
 */
const EXCLUDED = new Set([
  "test",
  "tests",
  "idle_test",
  "encodings",
  "pydoc_data",
  "idlelib",
  "lib2to3",
  "tkinter",
  "turtledemo",
  "distutils",
  "ensurepip",
  "site-packages",
  "dist-packages",
  "__pycache__",
]);

function hasExcludedDescendant(dir: string): boolean {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    if (EXCLUDED.has(e.name) || hasExcludedDescendant(join(dir, e.name))) return true;
  }
  return false;
}

/** Paths covering `dir` minus excluded subtrees: the directory itself when it is clean, else its parts. */
function cleanPaths(dir: string): string[] {
  if (!hasExcludedDescendant(dir)) return [dir];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (!EXCLUDED.has(e.name) && !e.name.startsWith(".")) out.push(...cleanPaths(path));
    } else if (e.name.endsWith(".py") && statSync(path).isFile()) {
      out.push(path);
    }
  }
  return out;
}

/**
 * The default training corpus: the Python standard library found on this machine, without its test
 * suites and data tables (see EXCLUDED), about a quarter of its size and almost all real code.
 */
export function defaultCorpus(): { paths: string[]; description: string } {
  const root = findPythonStdlib();
  const paths = existsSync(root) ? cleanPaths(root) : [root];
  return { paths, description: `${root} (standard library without tests and data tables)` };
}

/** `--corpus` keywords: the cleaned standard library, and the generated simple-idioms corpus. */
export const STDLIB_KEYWORD = "@stdlib";
export const SIMPLE_KEYWORD = "@simple";

/**
 * The corpus a command works on: the given paths, where `@stdlib` stands for the default corpus and
 * `@simple` for the simple-idioms corpus (generated once into `<cacheDir>/simple-python-seed0/` with the
 * default size; docs/zoo.md); no paths at all is the default corpus. `description` names it in messages.
 */
export function resolveCorpus(
  given: readonly string[] | undefined,
  cacheDir = ".csp-cache",
): { paths: string[]; description: string } {
  if (!given || given.length === 0) return defaultCorpus();
  const paths: string[] = [];
  const names: string[] = [];
  for (const p of given) {
    if (p === STDLIB_KEYWORD) {
      const std = defaultCorpus();
      paths.push(...std.paths);
      names.push(std.description);
    } else if (p === SIMPLE_KEYWORD) {
      const dir = ensureSimpleCorpus(cacheDir);
      paths.push(dir);
      names.push(`${dir} (simple-idioms corpus, seed ${DEFAULT_SIMPLE_CORPUS.seed})`);
    } else {
      paths.push(p);
      names.push(p);
    }
  }
  return { paths, description: names.join(", ") };
}

/** The default simple-idioms corpus under `cacheDir`, written on first use (about 35 MB, 2 s). */
function ensureSimpleCorpus(cacheDir: string): string {
  const dir = resolve(cacheDir, `simple-python-seed${DEFAULT_SIMPLE_CORPUS.seed}`);
  const done = join(dir, "COMPLETE");
  if (!existsSync(done)) {
    const staging = `${dir}.partial-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    writeSimpleCorpus({ out: staging, ...DEFAULT_SIMPLE_CORPUS });
    writeFileSync(join(staging, "COMPLETE"), "");
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  }
  return dir;
}
