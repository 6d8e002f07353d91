import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { CspError } from "../errors.js";

/** Interpreters asked, in order: whatever `python3` the PATH gives, then the system one. */
const INTERPRETERS = ["python3", "/usr/bin/python3"];
const ASK_STDLIB = "import sysconfig; print(sysconfig.get_paths()['stdlib'])";

/**
 * The directory of the Python standard library: the default corpus, since every machine with Python has
 * it and it needs no download. Which interpreter answers decides the corpus, so the result (and hence
 * the tokenizer and shards) can differ between machines; the corpus manifest records the files used.
 */
export function findPythonStdlib(): string {
  const failures: string[] = [];
  for (const python of INTERPRETERS) {
    let out: string;
    try {
      out = execFileSync(python, ["-c", ASK_STDLIB], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
      failures.push(`${python}: ${(e as Error).message.split("\n")[0]}`);
      continue;
    }
    const dir = out.trim();
    if (dir !== "" && existsSync(dir) && statSync(dir).isDirectory()) return dir;
    failures.push(`${python}: reported ${JSON.stringify(dir)}, which is not a directory`);
  }
  throw new CspError(
    `python3: cannot locate the Python standard library (the default corpus); pass --corpus PATH instead (${failures.join("; ")})`,
  );
}
