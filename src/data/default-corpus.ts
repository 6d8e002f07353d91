import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { findPythonStdlib } from "./python-stdlib.js";

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
