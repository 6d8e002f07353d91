import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** Content types of the files the front-end build produces. */
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".map": "application/json",
};

/** A file the server may send: its bytes and content type. */
export interface Asset {
  body: Buffer;
  type: string;
}

/** Where `npm run build` writes the front end: `dist/viewer` under the package root. */
export function defaultAssetsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, "package.json"))) return join(dir, "dist", "viewer");
    dir = dirname(dir);
  }
  return join(dirname(fileURLToPath(import.meta.url)), "..", "..", "viewer");
}

/**
 * Every file of the built front end, read once, keyed by URL path (`/assets/app.js`). Serving only from
 * this table means no request path ever reaches the file system: traversal has nothing to traverse.
 */
export function loadAssets(dir: string, limit = 200): Map<string, Asset> {
  const table = new Map<string, Asset>();
  if (!existsSync(dir)) return table;
  const walk = (d: string, depth: number) => {
    if (depth > 4) return;
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const st = statSync(path);
      if (st.isDirectory()) walk(path, depth + 1);
      else if (st.isFile() && table.size < limit) {
        const ext = name.slice(name.lastIndexOf("."));
        const url = "/" + relative(dir, path).split(sep).join("/");
        table.set(url, { body: readFileSync(path), type: TYPES[ext] ?? "application/octet-stream" });
      }
    }
  };
  walk(dir, 0);
  return table;
}
