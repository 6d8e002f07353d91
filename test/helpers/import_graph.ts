import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

/** File → the files it imports (relative specifiers only; packages and node: modules are outside). */
export type ImportGraph = Map<string, string[]>;

const SPECIFIER =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?\bfrom\s+["'](\.[^"']+)["']|\bimport\(\s*["'](\.[^"']+)["']\s*\)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** Resolves "./x.js" the way TypeScript's NodeNext resolution does for our sources (.js → .ts / .tsx). */
function resolveImport(from: string, specifier: string): string | undefined {
  const base = normalize(join(dirname(from), specifier));
  const stem = base.replace(/\.js$/, "");
  return [base, `${stem}.ts`, `${stem}.tsx`, join(base, "index.ts")].find(
    (p) => existsSync(p) && statSync(p).isFile(),
  );
}

/** The import graph of every .ts/.tsx file under `root`, with paths relative to `root`. */
export function importGraph(root: string): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of sourceFiles(root)) {
    const text = readFileSync(file, "utf8");
    const targets = new Set<string>();
    for (const m of text.matchAll(SPECIFIER)) {
      const target = resolveImport(file, m[1] ?? m[2]);
      if (target) targets.add(relative(root, target));
    }
    graph.set(relative(root, file), [...targets].sort());
  }
  return graph;
}

/** Every strongly connected component with more than one file (or a file importing itself): the cycles. */
export function importCycles(graph: ImportGraph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}

/** The layer of a file: its top folder under src/ ("model", "viewer"), or its name for a top-level file. */
export function layerOf(file: string): string {
  const first = file.split(/[\\/]/)[0];
  return first.replace(/\.tsx?$/, "");
}

/**
 * Imports that break the layering: from a layer to one ranked higher, or sideways between two different
 * layers of the same rank. `ranks` gives every layer's height (higher may import lower).
 */
export function layerViolations(graph: ImportGraph, ranks: Readonly<Record<string, number>>): string[] {
  const out: string[] = [];
  for (const [file, targets] of graph) {
    const from = layerOf(file);
    for (const target of targets) {
      const to = layerOf(target);
      if (from === to) continue;
      const a = ranks[from];
      const b = ranks[to];
      if (a === undefined || b === undefined) out.push(`${file} -> ${target}: layer not in the table`);
      else if (b >= a) out.push(`${file} -> ${target}: ${from} (${a}) may not import ${to} (${b})`);
    }
  }
  return out.sort();
}
