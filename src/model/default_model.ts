import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The package root: the nearest ancestor of this file with the project's package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, "package.json");
    if (
      existsSync(pkg) &&
      (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "circuit-sparsity"
    )
      return dir;
    dir = dirname(dir);
  }
  throw new Error("cannot find the circuit-sparsity package root");
}

/** The bundled default model (a copy of a zoo model; models/default/README.md): used when --model is omitted. */
export const DEFAULT_MODEL_DIR = join(packageRoot(), "models", "default");
