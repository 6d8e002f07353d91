import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { CspError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic.js";
import { mixSeed } from "../random/seed.js";
import { simplePythonModule } from "./simple_python.js";

export interface SimpleCorpusOptions {
  out: string;
  /** Files written (the train/validation split is by file). */
  files: number;
  /** Modules concatenated per file. */
  modulesPerFile: number;
  seed: number;
}

export const DEFAULT_SIMPLE_CORPUS = { files: 400, modulesPerFile: 40, seed: 0 } as const;

/** The text of file `i` of a simple-idioms corpus: a pure function of (seed, i, modulesPerFile). */
export function simpleCorpusFile(seed: number, i: number, modulesPerFile: number): string {
  const parts: string[] = [];
  for (let m = 0; m < modulesPerFile; m++) parts.push(simplePythonModule(mixSeed(seed, i, m)));
  return parts.join("\n\n");
}

/**
 * Writes a simple-idioms corpus (src/data/simple_python.ts) as `simple_NNNNN.py` files into `out`.
 * Refuses a directory that already holds other files, so a corpus is never a mix of two seeds.
 * Returns the number of bytes written.
 */
export function writeSimpleCorpus(o: SimpleCorpusOptions): number {
  mkdirSync(o.out, { recursive: true });
  const foreign = readdirSync(o.out).filter((f) => !/^simple_\d{5}\.py$/.test(f));
  if (foreign.length > 0)
    throw new CspError(`${o.out}: holds other files (${foreign[0]}); give an empty or new directory`);
  let bytes = 0;
  for (let i = 0; i < o.files; i++) {
    const text = simpleCorpusFile(o.seed, i, o.modulesPerFile);
    writeFileAtomic(join(o.out, `simple_${String(i).padStart(5, "0")}.py`), text);
    bytes += Buffer.byteLength(text);
  }
  return bytes;
}
