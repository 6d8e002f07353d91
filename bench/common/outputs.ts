import { join } from "node:path";
import { benchSourceDir } from "./paths.js";

/**
 * Where run-all writes: full mode → bench/results.json and bench/RESULTS.md; quick mode →
 * bench/results-quick.json only (quick numbers must never replace the full ones). --out overrides
 * the JSON path (and writes no markdown).
 */
export function paths(quick: boolean, out?: string): { json: string; markdown: string | null } {
  if (out) return { json: out, markdown: null };
  const dir = benchSourceDir();
  return quick
    ? { json: join(dir, "results-quick.json"), markdown: null }
    : { json: join(dir, "results.json"), markdown: join(dir, "RESULTS.md") };
}
