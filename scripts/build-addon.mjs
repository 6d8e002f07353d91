// Builds the native addon (binding.gyp) for one -march target.
//
//   node scripts/build-addon.mjs                     the default build, -march=native, into build/Release/
//                                                    (`npm install` runs it with --if-stale)
//   node scripts/build-addon.mjs --march x86-64-v3   a build for that target beside the default one, in
//   CSP_MARCH=x86-64-v3 npm install (or npm rebuild) build-x86-64-v3/Release/ (build/ is left alone)
//     [--if-stale]                                   build only if the build the backend would load for
//                                                    that target is missing or was made from other
//                                                    sources (binding.gyp, src/native) or another Node ABI
//     [--check]                                      build nothing: exit 0 if that build is up to date,
//                                                    3 (saying why) if it is missing or stale
//
// npm runs the install script again whenever npx links a clone into its cache (`npx csp` in a clone);
// --if-stale makes that, and a second `npm install`, skip the ~40 s compile when nothing changed.
// `npm run build:addon` always rebuilds.
//
// Each build leaves csp_native.json next to csp_native.node: { march, sourceHash, node }. The native
// backend (src/backend/native.ts, findAddon) loads, for CSP_ADDON_MARCH=M, the most recently built of
// build/Release (if its stamp says M) and build-M/Release. node-gyp is the one npm provides to its
// scripts: run outside npm, this script runs itself again through `npm run build:addon` (so npm's
// configuration, e.g. nodedir, applies as it does at install).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const MARCH_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function fail(message) {
  console.error(`build-addon: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const args = { march: undefined, ifStale: false, check: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--march") args.march = argv[++i];
    else if (argv[i].startsWith("--march=")) args.march = argv[i].slice("--march=".length);
    else if (argv[i] === "--if-stale") args.ifStale = true;
    else if (argv[i] === "--check") args.check = true;
    else
      fail(`unknown argument "${argv[i]}" (usage: build-addon.mjs [--march TARGET] [--if-stale | --check])`);
  }
  return args;
}

/** The files a build is made of, and a hash of them with the target and the Node ABI. */
function sourceHash(march) {
  const hash = createHash("sha256");
  hash.update(`march=${march}\nmodules=${process.versions.modules}\n`);
  const nativeDir = join(root, "src", "native");
  const files = [
    join(root, "binding.gyp"),
    ...readdirSync(nativeDir)
      .filter((f) => /\.(cc|h)$/.test(f))
      .sort()
      .map((f) => join(nativeDir, f)),
  ];
  for (const file of files) {
    hash.update(`${relative(root, file)}\n`);
    hash.update(readFileSync(file));
  }
  return hash.digest("hex").slice(0, 16);
}

function readStamp(dir) {
  try {
    return JSON.parse(readFileSync(join(dir, "csp_native.json"), "utf8"));
  } catch {
    return undefined;
  }
}

/** The build directory the backend loads for `march` (see findAddon in src/backend/native.ts), if any. */
function loadedDir(march) {
  const candidates = [];
  const defaultDir = join(root, "build", "Release");
  if ((readStamp(defaultDir)?.march ?? "native") === march) candidates.push(defaultDir);
  candidates.push(join(root, `build-${march}`, "Release"));
  const built = candidates
    .filter((d) => existsSync(join(d, "csp_native.node")))
    .map((d) => ({ d, t: statSync(join(d, "csp_native.node")).mtimeMs }));
  built.sort((a, b) => b.t - a.t);
  return built[0]?.d;
}

function runNodeGyp(cwd, env) {
  const gyp = process.env.npm_config_node_gyp;
  const jobs = process.env.JOBS ?? String(availableParallelism());
  const r = spawnSync(process.execPath, [gyp, "rebuild", `--jobs=${jobs}`], { cwd, env, stdio: "inherit" });
  if (r.status !== 0) fail(`node-gyp rebuild failed in ${relative(root, cwd) || "."} (exit ${r.status})`);
}

/** --check: whether the build the backend loads for `march` was made from the sources there are now. */
function check(march) {
  if (!MARCH_PATTERN.test(march)) fail(`"${march}" is not a -march target name`);
  const dir = loadedDir(march);
  const what = `the -march=${march} addon`;
  if (!dir) {
    console.error(`build-addon: ${what} is not built (npm run build:addon -- --march ${march})`);
    process.exit(3);
  }
  const file = relative(root, join(dir, "csp_native.node"));
  if (readStamp(dir)?.sourceHash !== sourceHash(march)) {
    const rebuild =
      dir === join(root, "build", "Release")
        ? "npm run build:addon"
        : `npm run build:addon -- --march ${march}`;
    console.error(
      `build-addon: ${file} was built from other sources than binding.gyp and src/native now (rebuild: ${rebuild})`,
    );
    process.exit(3);
  }
  console.log(`build-addon: ${file} (-march=${march}) is up to date`);
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.check) return check(args.march ?? (process.env.CSP_MARCH || "native"));
  if (!process.env.npm_config_node_gyp) {
    // Not started by npm: let npm start it, with its node-gyp and configuration.
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const r = spawnSync(npm, ["run", "--silent", "build:addon", "--", ...process.argv.slice(2)], {
      cwd: root,
      stdio: "inherit",
    });
    if (r.error) fail(`cannot run npm: ${r.error.message}`);
    process.exit(r.status ?? 1);
  }
  const march = args.march ?? (process.env.CSP_MARCH || "native");
  // Any other target than native, or one named by --march, is built beside the default build.
  const named = args.march !== undefined || march !== "native";
  if (!MARCH_PATTERN.test(march)) fail(`"${march}" is not a -march target name`);
  const hash = sourceHash(march);
  const stamp = { march, sourceHash: hash, node: process.version };

  if (!named) {
    // The default build, in place: build/Release/csp_native.node.
    const out = join(root, "build", "Release");
    if (args.ifStale && existsSync(join(out, "csp_native.node")) && readStamp(out)?.sourceHash === hash) {
      console.log(`build-addon: build/Release/csp_native.node (-march=${march}) is up to date`);
      return;
    }
    runNodeGyp(root, { ...process.env, CSP_MARCH: march });
    writeFileSync(join(out, "csp_native.json"), JSON.stringify(stamp) + "\n");
    console.log(`build-addon: built ${relative(root, join(out, "csp_native.node"))} for -march=${march}`);
    return;
  }

  // A named build: node-gyp runs in build-<march>/ on a binding.gyp that names the package's sources.
  const dir = join(root, `build-${march}`);
  const out = join(dir, "Release");
  const current = loadedDir(march);
  if (args.ifStale && current && readStamp(current)?.sourceHash === hash) {
    console.log(
      `build-addon: ${relative(root, join(current, "csp_native.node"))} (-march=${march}) is up to date`,
    );
    return;
  }
  mkdirSync(dir, { recursive: true });
  const gyp = JSON.parse(readFileSync(join(root, "binding.gyp"), "utf8"));
  gyp.variables = { ...gyp.variables, "csp_march%": march };
  for (const target of gyp.targets) target.sources = target.sources.map((s) => `../${s}`);
  writeFileSync(join(dir, "binding.gyp"), JSON.stringify(gyp, null, 2) + "\n");
  rmSync(out, { recursive: true, force: true });
  runNodeGyp(dir, process.env);
  mkdirSync(out, { recursive: true });
  copyFileSync(join(dir, "build", "Release", "csp_native.node"), join(out, "csp_native.node"));
  writeFileSync(join(out, "csp_native.json"), JSON.stringify(stamp) + "\n");
  console.log(`build-addon: built ${relative(root, join(out, "csp_native.node"))} for -march=${march}`);
}

main();
