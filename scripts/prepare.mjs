// npm's prepare script (npm install in a clone, npm pack): `npm run build`, unless dist/ was built from
// exactly the sources there are now.
//
// `npx csp ...` in a clone links the clone into npx's cache (npm runs a package's own bin that way)
// and runs its lifecycle scripts again: install (the addon, skipped when up to date by
// build-addon.mjs --if-stale) and prepare (this). Skipping an up-to-date build is what lets the
// first `npx csp` after `npm install` start at once instead of rebuilding everything (~35 s).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const stampFile = join(root, "dist", ".build-hash");

/** Every file under dir (sorted), minus the native sources, which dist/ does not depend on. */
function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return path === join(root, "src", "native") ? [] : files(path);
      return e.isFile() ? [path] : [];
    });
}

function sourceHash() {
  const hash = createHash("sha256");
  const inputs = [
    ...["package.json", "package-lock.json", "tsconfig.json"].map((f) => join(root, f)),
    ...files(join(root, "src")),
    ...files(join(root, "bench")).filter((f) => f.endsWith(".ts")),
    ...files(join(root, "examples")),
  ];
  for (const file of inputs) {
    if (!existsSync(file)) continue;
    hash.update(`${relative(root, file)}\n`);
    hash.update(readFileSync(file));
  }
  return hash.digest("hex");
}

const hash = sourceHash();
const built =
  existsSync(join(root, "dist", "src", "cli", "main.js")) &&
  existsSync(stampFile) &&
  readFileSync(stampFile, "utf8").trim() === hash;
if (built) {
  console.log("prepare: dist/ is up to date with the sources (npm run build rebuilds it)");
} else {
  const npm = process.env.npm_execpath;
  const r = npm
    ? spawnSync(process.execPath, [npm, "run", "build"], { cwd: root, stdio: "inherit" })
    : spawnSync(process.platform === "win32" ? "npm.cmd" : "npm", ["run", "build"], {
        cwd: root,
        stdio: "inherit",
      });
  if (r.status !== 0) process.exit(r.status ?? 1);
  writeFileSync(stampFile, hash + "\n");
}
