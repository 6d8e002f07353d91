// Module hooks for running a worker from TypeScript sources (tests only; the package runs compiled
// JavaScript): `./x.js` imports resolve to `./x.ts` when only that exists, and `.ts` files have their
// types stripped (no type check). The stripping uses oxc through `rolldown/utils` (rolldown comes with
// vite, the front end's bundler; about 20x faster than the TypeScript compiler, which is the fallback).
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath, URL } from "node:url";

const strip = await import("rolldown/utils").then(
  ({ transformSync }) =>
    (fileName, source) => {
      const out = transformSync(fileName, source, { lang: "ts", sourceType: "module" });
      if (out.errors.length > 0) throw new Error(`${fileName}: ${out.errors[0].message}`);
      return out.code;
    },
  async () => {
    const ts = (await import("typescript")).default;
    return (fileName, source) =>
      ts.transpileModule(source, {
        fileName,
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
  },
);

export async function resolve(specifier, context, next) {
  if (context.parentURL?.endsWith(".ts") && /^\.\.?\//.test(specifier) && specifier.endsWith(".js")) {
    const js = new URL(specifier, context.parentURL);
    const source = new URL(js.href.slice(0, -3) + ".ts");
    if (!existsSync(fileURLToPath(js)) && existsSync(fileURLToPath(source)))
      return { url: source.href, shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.startsWith("file:") || !url.endsWith(".ts")) return next(url, context);
  const fileName = fileURLToPath(url);
  return { format: "module", source: strip(fileName, readFileSync(fileName, "utf8")), shortCircuit: true };
}
