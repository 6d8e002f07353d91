import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The package root (the directory whose package.json is circuit-sparsity's), found by walking up from
 * this file: it sits in bench/common when run from source (vitest) and in dist/bench/common when compiled.
 */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      const name = (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name;
      if (name === "circuit-sparsity") return dir;
    }
    dir = dirname(dir);
  }
  throw new Error(`cannot find the circuit-sparsity package root above ${fileURLToPath(import.meta.url)}`);
}

/** bench/ in the source tree: results.json, RESULTS.md, the PyTorch baselines and setup.sh live here. */
export function benchSourceDir(): string {
  return join(repoRoot(), "bench");
}

/** The compiled child entry for our side (dist/bench/child.js). */
export function oursChildScript(): string {
  return join(repoRoot(), "dist", "bench", "child.js");
}

/** Debian's interpreter: the PyTorch baseline uses Debian's python3-torch, not the pyenv python3 on PATH. */
export const SYSTEM_PYTHON = "/usr/bin/python3";
