import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { escapeHtml, etagOf } from "./http_reply.js";

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

/** A file the server may send: its bytes, content type and ETag. */
export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** The page meta tag that hands the session token to the front end (web/api.tsx reads it). */
export const TOKEN_META = "csp-session-token";

/**
 * The table with the session token written into index.html as `<meta name="csp-session-token">`: the
 * page sends it back with every POST. Only a page served by this server (same origin) can read it.
 */
export function withSessionToken(assets: Map<string, Asset>, token: string): Map<string, Asset> {
  const index = assets.get("/index.html");
  if (!index) return assets;
  const meta = `<meta name="${TOKEN_META}" content="${escapeHtml(token)}">`;
  const html = index.body.toString("utf8");
  const at = html.search(/<head[^>]*>/i);
  const withMeta = at < 0 ? meta + html : html.replace(/<head[^>]*>/i, (head) => head + meta);
  const body = Buffer.from(withMeta, "utf8");
  return new Map(assets).set("/index.html", { ...index, body, etag: etagOf(body) });
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
        const body = readFileSync(path);
        table.set(url, { body, type: TYPES[ext] ?? "application/octet-stream", etag: etagOf(body) });
      }
    }
  };
  walk(dir, 0);
  return table;
}
