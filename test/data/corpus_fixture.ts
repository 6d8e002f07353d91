import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** Writes files (relative path → content) under a fresh temporary directory and returns it. */
export function makeTree(files: Record<string, string | Uint8Array>): string {
  const root = mkdtempSync(join(tmpdir(), "csp-corpus-"));
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
  return root;
}

/** A small corpus of Python files with the awkward cases the collector must handle. */
export function makeCorpus(): string {
  const root = makeTree({
    "pkg/__init__.py": "",
    "pkg/mod.py": "def f(x):\n    return x + 1\n",
    "pkg/sub/deep.py": "class A:\n    pass\n",
    "pkg/__pycache__/mod.cpython-311.py": "cached = True\n",
    "site-packages/third.py": "third = 1\n",
    ".hidden/secret.py": "secret = 1\n",
    "b.py": "\ufeffprint('bom')\n",
    "a.py": "import os\nprint(os.getcwd())\n",
    "latin1.py": Uint8Array.of(0x78, 0x20, 0x3d, 0x20, 0x27, 0xe9, 0x27, 0x0a), // x = 'é' in Latin-1
    "notes.txt": "not python\n",
    "blank.py": "  \n\n",
  });
  symlinkSync(join(root, "pkg"), join(root, "pkg/sub/loop")); // a directory cycle that must not be followed
  return root;
}
