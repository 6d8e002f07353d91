import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { defaultAssetsDir } from "./static_files.js";

/** The package root: the nearest directory above this module holding package.json. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8 && !existsSync(join(dir, "package.json")); i++) dir = dirname(dir);
  return dir;
}

/** The front end's sources (index.html, *.tsx, style.css), also when this runs from dist/. */
export const WEB_SOURCE_DIR = join(packageRoot(), "src", "viewer", "web");

/**
 * Bundles the browser front end (Preact + TSX, compiled by Vite) into `outDir`: index.html plus hashed
 * assets, nothing fetched from a CDN. Vite is a build-time dependency only; the server reads the output.
 */
export async function buildViewerFrontEnd(outDir: string = defaultAssetsDir()): Promise<string> {
  const { build } = await import("vite");
  await build({
    root: WEB_SOURCE_DIR,
    base: "./",
    configFile: false,
    logLevel: "warn",
    publicDir: false,
    oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
    build: {
      outDir: resolve(outDir),
      emptyOutDir: true,
      target: "es2022",
      sourcemap: false,
      reportCompressedSize: false,
      modulePreload: { polyfill: false },
    },
  });
  return outDir;
}

// `node dist/src/viewer/build_web.js [outDir]` builds the front end (npm run build calls it).
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  buildViewerFrontEnd(process.argv[2]).then(
    (out) => console.log(`viewer front end built in ${out}`),
    (e) => {
      console.error(`csp: viewer build failed: ${(e as Error).message.split("\n")[0]}`);
      process.exit(1);
    },
  );
}
