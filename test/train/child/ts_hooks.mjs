// Node ESM loader hooks that let a child `node` process run this repository's TypeScript sources
// directly (Node 20 cannot strip types): `.js` imports resolve to the `.ts` file next to them, and
// `.ts` files are transpiled on load with the project's own TypeScript compiler (no type checking).
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (e) {
    const relative = specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("file:");
    if (relative && specifier.endsWith(".js")) return nextResolve(specifier.slice(0, -3) + ".ts", context);
    throw e;
  }
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith(".ts")) return nextLoad(url, context);
  const source = await readFile(fileURLToPath(url), "utf8");
  const out = ts.transpileModule(source, {
    fileName: fileURLToPath(url),
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
  });
  return { format: "module", source: out.outputText, shortCircuit: true };
}
