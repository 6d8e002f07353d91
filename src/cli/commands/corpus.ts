import type { Command } from "commander";
import { intFlag } from "../../flag_values.js";
import { DEFAULT_SIMPLE_CORPUS, writeSimpleCorpus } from "../../data/simple_corpus.js";

interface CorpusFlags {
  out: string;
  files?: string;
  modulesPerFile?: string;
  seed?: string;
}

export function registerCorpus(program: Command): void {
  const corpus = program.command("corpus").description("training corpora");
  const d = DEFAULT_SIMPLE_CORPUS;
  corpus
    .command("simple")
    .description(
      "write the simple-idioms Python corpus (a seeded statement grammar; the stand-in for the paper's simple component)",
    )
    .requiredOption("--out <dir>", "directory for the .py files (new or empty)")
    .option("--files <n>", "files to write", String(d.files))
    .option("--modules-per-file <n>", "modules per file", String(d.modulesPerFile))
    .option("--seed <s>", "seed", String(d.seed))
    .action((f: CorpusFlags) => {
      const bytes = writeSimpleCorpus({
        out: f.out,
        files: intFlag("--files", f.files, d.files, { min: 2 }),
        modulesPerFile: intFlag("--modules-per-file", f.modulesPerFile, d.modulesPerFile),
        seed: intFlag("--seed", f.seed, d.seed, { min: 0 }),
      });
      console.log(`${f.out}: ${(bytes / 1e6).toFixed(1)} MB of simple Python`);
    });
}
