import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO } from "../helpers/cli.js";

// The package as a consumer gets it: `npm pack` (of the dist/ that npm test builds first), the tarball
// unpacked into a consumer's node_modules, and a consumer's TypeScript compiled against its types and
// run. Offline: the runtime dependencies are linked from this checkout's node_modules, as an install
// would place them, instead of being fetched; and the addon is not compiled (the ts backend runs).

interface PackResult {
  filename: string;
  files: { path: string }[];
}

const TSC = join(REPO, "node_modules", "typescript", "bin", "tsc");

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, output: `${r.stdout}${r.stderr}` };
}

const CONSUMER = `import { DEFAULT_MODEL_DIR, loadModel, loadTokenizer, type CachedRun } from "circuit-sparsity";

const model = loadModel(DEFAULT_MODEL_DIR);
const tokenizer = loadTokenizer(DEFAULT_MODEL_DIR);
const run: CachedRun = model.runWithCache(tokenizer.encode("while True"), { names: ["final_resid"] });
const shape: readonly number[] = run.cache.get("final_resid")!.shape;
console.log(JSON.stringify({ modelDir: DEFAULT_MODEL_DIR, shape, logits: run.logits.shape }));
`;

/** Misuse the types must catch: a string where tokens go, and a hook filter of the wrong type. */
const MISTYPED = `import { DEFAULT_MODEL_DIR, loadModel } from "circuit-sparsity";

const model = loadModel(DEFAULT_MODEL_DIR);
model.runWithCache("while True");
model.runWithCache([1, 2], { names: 3 });
`;

describe("the packed package, installed and imported with its types", () => {
  const work = mkdtempSync(join(tmpdir(), "csp-pack-"));
  const consumer = join(work, "consumer");
  const installed = join(consumer, "node_modules", "circuit-sparsity");
  let packed: PackResult;

  beforeAll(() => {
    const pack = run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], REPO);
    expect(pack.status, pack.output).toBe(0);
    packed = (JSON.parse(pack.stdout) as PackResult[])[0];
    mkdirSync(installed, { recursive: true });
    const untar = run(
      "tar",
      ["-xzf", join(work, packed.filename), "-C", installed, "--strip-components=1"],
      work,
    );
    expect(untar.status, untar.output).toBe(0);
    const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    for (const dep of Object.keys(pkg.dependencies))
      symlinkSync(join(REPO, "node_modules", dep), join(consumer, "node_modules", dep), "dir");
    writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", type: "module" }));
    const typeRoots = [join(REPO, "node_modules", "@types")];
    const compilerOptions = {
      module: "NodeNext",
      target: "ES2022",
      strict: true,
      types: ["node"],
      typeRoots,
    };
    const tsconfig = (files: string[], noEmit = false) =>
      JSON.stringify({ compilerOptions: { ...compilerOptions, noEmit }, files });
    writeFileSync(join(consumer, "tsconfig.json"), tsconfig(["consumer.ts"]));
    writeFileSync(join(consumer, "tsconfig.mistyped.json"), tsconfig(["mistyped.ts"], true));
    writeFileSync(join(consumer, "consumer.ts"), CONSUMER);
    writeFileSync(join(consumer, "mistyped.ts"), MISTYPED);
  }, 60_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("ships the built library, the bundled model and what builds the addon; no zoo, tests, docs or runs", () => {
    const paths = packed.files.map((f) => f.path);
    for (const path of [
      "package.json",
      "dist/src/index.js",
      "dist/src/index.d.ts",
      "dist/src/cli/main.js",
      "models/default/config.json",
      "models/default/model.safetensors",
      "models/default/means.safetensors",
      "models/default/tokenizer/vocab.bpe",
      "binding.gyp",
      "src/native/addon.cc",
      "src/native/simd.h",
      "scripts/build-addon.mjs",
      "scripts/addon-missing.mjs",
    ])
      expect(paths).toContain(path);
    const unwanted = paths.filter((p) =>
      /^(models\/zoo|test|docs|runs|bench|examples|build)\/|\.ts$/.test(p),
    );
    expect(unwanted.filter((p) => !p.endsWith(".d.ts"))).toEqual([]);
  });

  it("a consumer's TypeScript compiles against the shipped types and runs on the bundled model", () => {
    const tsc = run(process.execPath, [TSC, "-p", "tsconfig.json"], consumer);
    expect(tsc.status, tsc.output).toBe(0);
    const node = run(process.execPath, ["consumer.js"], consumer, { CSP_BACKEND: "ts" });
    expect(node.status, node.output).toBe(0);
    const result = JSON.parse(node.stdout) as { modelDir: string; shape: number[]; logits: number[] };
    expect(result.modelDir).toBe(join(installed, "models", "default"));
    expect(result.shape).toEqual([1, result.shape[1], 128]);
    expect(result.shape[1]).toBeGreaterThan(0);
    expect(result.logits).toEqual([1, result.shape[1], 2048]);
  });

  it("the types are real: misuse fails to compile", () => {
    const bad = run(process.execPath, [TSC, "-p", "tsconfig.mistyped.json"], consumer);
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/mistyped\.ts\(4,20\): error TS2345: .*'TokenInput'/);
    expect(bad.stdout).toMatch(/mistyped\.ts\(5,30\): error TS2322: .*'HookFilter \| undefined'/);
  });

  it("the csp bin is executable as built: npx runs it through a link, which needs the mode bit", () => {
    // A link npx made earlier for the same path is not remade, and tsc writes files 0644: a clone in
    // a path npx had seen before found `csp` not executable (sh: csp: Permission denied).
    const bin = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).bin.csp as string;
    expect(statSync(join(REPO, bin)).mode & 0o111).toBe(0o111);
    const direct = run(join(REPO, bin), ["--help"], REPO);
    expect(direct.status, direct.output).toBe(0);
    expect(direct.stdout).toMatch(/Usage: csp/);
  });

  it("the csp command runs from the package with only its declared dependencies", () => {
    const cli = run(process.execPath, [join(installed, "dist", "src", "cli", "main.js"), "--help"], consumer);
    expect(cli.status, cli.output).toBe(0);
    expect(cli.stdout).toMatch(/Usage: csp/);
  });
});
