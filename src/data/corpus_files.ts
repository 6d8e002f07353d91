import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { CspError } from "../errors.js";

/** One source file of a corpus. */
export interface CorpusFile {
  /** Absolute path. */
  path: string;
  /** Path relative to the corpus root it was found under, with "/" separators: the train/val split key. */
  relPath: string;
  size: number;
  mtimeMs: number;
}

/**
 * Directories never entered: bytecode caches, and installed third-party packages (they differ from
 * machine to machine, are often vendored copies, and would make the "standard library" corpus depend on
 * what happens to be pip-installed). Hidden directories (".git", ".venv", ...) are skipped as well.
 */
const SKIPPED_DIRS = new Set(["__pycache__", "site-packages", "dist-packages", "node_modules"]);

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Collects the `.py` files under each path (a directory, searched recursively, or a single file taken
 * as is). The result is sorted by absolute path and free of duplicates, so it does not depend on the order
 * of the arguments or of directory listings. Symbolic links to directories are not followed (no cycles);
 * links to files are.
 */
export function collectPythonFiles(paths: readonly string[]): CorpusFile[] {
  if (paths.length === 0) throw new CspError("corpus: no path given");
  const found = new Map<string, CorpusFile>();
  for (const given of paths) {
    const root = resolve(given);
    if (!existsSync(root)) throw new CspError(`${given}: corpus path not found`);
    const stat = statSync(root);
    if (stat.isFile()) {
      add(found, root, dirname(root));
      continue;
    }
    if (!stat.isDirectory()) throw new CspError(`${given}: corpus path is neither a file nor a directory`);
    walk(root, root, found);
  }
  if (found.size === 0) throw new CspError(`${paths.join(", ")}: no .py files found in the corpus`);
  return [...found.values()].sort((a, b) => byName(a.path, b.path));
}

function walk(dir: string, root: string, found: Map<string, CorpusFile>): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw new CspError(`${dir}: cannot list corpus directory (${(e as Error).message.split("\n")[0]})`);
  }
  for (const entry of entries.sort((a, b) => byName(a.name, b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith(".")) walk(path, root, found);
    } else if (entry.name.endsWith(".py") && (entry.isFile() || isFileLink(path, entry.isSymbolicLink()))) {
      add(found, path, root);
    }
  }
}

function isFileLink(path: string, isLink: boolean): boolean {
  if (!isLink) return false;
  try {
    return statSync(path).isFile();
  } catch {
    return false; // dangling link
  }
}

function add(found: Map<string, CorpusFile>, path: string, root: string): void {
  if (found.has(path)) return;
  const stat = statSync(path);
  const rel = relative(root, path) || basename(path);
  found.set(path, { path, relPath: rel.split(sep).join("/"), size: stat.size, mtimeMs: stat.mtimeMs });
}
