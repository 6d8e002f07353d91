import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../../src/random/rng.js";

const NAMES = ["total", "count", "value", "items", "result", "index", "name", "data", "key", "line"];
const FUNCS = ["add", "scale", "merge", "parse", "load", "check", "update", "render"];

function snippet(rng: Rng): string {
  const pick = <T>(xs: readonly T[]) => xs[rng.int(xs.length)];
  const a = pick(NAMES);
  const b = pick(NAMES);
  const f = pick(FUNCS);
  const n = rng.int(100);
  switch (rng.int(4)) {
    case 0:
      return `def ${f}_${a}(${a}, ${b}):\n    ${a} = ${a} + ${b}\n    return ${a}\n\n`;
    case 1:
      return `for ${a} in range(${n}):\n    if ${a} % 2 == 0:\n        print(${a})\n\n`;
    case 2:
      return `class ${f[0].toUpperCase()}${f.slice(1)}:\n    def __init__(self, ${a}):\n        self.${a} = ${a}\n\n`;
    default:
      return `${a} = [${n}, ${n + 1}, ${n + 2}]\n${b} = {"${a}": ${a}}\n\n`;
  }
}

/**
 * A directory of small, repetitive, Python-like files (seeded): enough structure that a tiny model
 * learns it in seconds, so its validation loss must drop far below the unigram entropy.
 */
export function makeSyntheticCorpus(
  opts: { files?: number; snippetsPerFile?: number; seed?: number } = {},
): string {
  const dir = mkdtempSync(join(tmpdir(), "csp-corpus-"));
  const rng = new Rng(opts.seed ?? 0);
  const files = opts.files ?? 80;
  mkdirSync(join(dir, "pkg"), { recursive: true });
  for (let i = 0; i < files; i++) {
    let text = "";
    for (let s = 0; s < (opts.snippetsPerFile ?? 12); s++) text += snippet(rng);
    writeFileSync(join(dir, "pkg", `mod_${i}.py`), text);
  }
  return dir;
}
