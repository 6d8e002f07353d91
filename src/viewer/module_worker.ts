import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * Starts the worker module `name` that sits beside the module `from` (its import.meta.url). From the
 * compiled package that is `name.js`. When the caller runs from TypeScript sources (the test suite, which
 * transpiles on the fly), there is no `.js` beside it: the worker then loads `name.ts` through
 * dev_ts_loader.mjs, which transpiles each module with the `typescript` dev dependency.
 */
export function startModuleWorker(name: string, from: string, opts: WorkerOptions): Worker {
  const js = new URL(`./${name}.js`, from);
  if (existsSync(fileURLToPath(js))) return new Worker(js, opts);
  const ts = new URL(`./${name}.ts`, from);
  const loader = new URL("./dev_ts_loader.mjs", from);
  if (!existsSync(fileURLToPath(ts)) || !existsSync(fileURLToPath(loader)))
    throw new Error(`worker module ${name} not found beside ${from}`);
  const boot =
    `import { register } from "node:module"; register(${JSON.stringify(loader.href)}); ` +
    `await import(${JSON.stringify(ts.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { ...opts, execArgv: [] });
}
