import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { trainBpe, type Tokenizer } from "../../src/tokenizer/index.js";

/**
 * The tests train their tokenizer on the local Python standard library, like the project's default
 * tokenizer, and check generated code with Python's own parser. Python 3 is present wherever the native
 * addon builds (node-gyp needs it).
 */
let pythonCmd: string | undefined;
function python(): string {
  if (pythonCmd !== undefined) return pythonCmd;
  for (const cmd of ["python3", "python"]) {
    const r = spawnSync(cmd, ["-c", "import sys; print(sys.version_info[0])"], { encoding: "utf8" });
    if (r.status === 0 && r.stdout.trim() === "3") return (pythonCmd = cmd);
  }
  throw new Error(
    "these tests need python3 on PATH (its stdlib trains the tokenizer; its parser checks the code)",
  );
}

function stdlibDir(): string {
  const r = spawnSync(python(), ["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], {
    encoding: "utf8",
  });
  const dir = r.stdout.trim();
  if (r.status !== 0 || !existsSync(join(dir, "os.py")))
    throw new Error(`no Python stdlib found (got ${dir})`);
  return dir;
}

/** A 2048-token BPE trained on the stdlib's top-level modules (a few seconds). */
export function trainStdlibTokenizer(): Tokenizer {
  const dir = stdlibDir();
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".py"))
    .sort();
  return trainBpe(
    files.map((f) => readFileSync(join(dir, f), "utf8")),
    { vocabSize: 2048 },
  );
}

/** For each text, Python's SyntaxError message, or null when `ast.parse` accepts it. */
export function pythonSyntaxErrors(texts: readonly string[]): (string | null)[] {
  const script =
    "import ast, json, sys\n" +
    "out = []\n" +
    "for t in json.load(sys.stdin):\n" +
    "    try:\n" +
    "        ast.parse(t)\n" +
    "        out.append(None)\n" +
    "    except SyntaxError as e:\n" +
    "        out.append(f'{e.msg} (line {e.lineno})')\n" +
    "print(json.dumps(out))\n";
  const r = spawnSync(python(), ["-c", script], { input: JSON.stringify(texts), encoding: "utf8" });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as (string | null)[];
}
