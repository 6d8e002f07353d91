import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildViewerFrontEnd } from "../../src/viewer/build_web.js";
import { REPO } from "../helpers/cli.js";

/** A lock older than this is from a run that died mid-build: it is taken over. */
const STALE_LOCK_MS = 180_000;

/** Every file the bundle can depend on: the front end, the viewer modules it shares, the bundler's versions. */
function sourceFiles(): string[] {
  const web = join(REPO, "src/viewer/web");
  const viewer = join(REPO, "src/viewer");
  return [
    ...readdirSync(web).map((f) => join(web, f)),
    ...readdirSync(viewer)
      .filter((f) => f.endsWith(".ts"))
      .map((f) => join(viewer, f)),
    join(REPO, "package-lock.json"),
  ].filter((f) => statSync(f).isFile());
}

/** Hash of the sources' names and contents: the build's key. */
export function frontEndSourceHash(files: readonly string[] = sourceFiles()): string {
  const h = createHash("sha256");
  for (const f of [...files].sort()) h.update(f).update("\0").update(readFileSync(f)).update("\0");
  return h.digest("hex").slice(0, 16);
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/**
 * The viewer's front end built from the current sources, for the browser tests. Built once per source
 * hash (in the system's temporary directory) and shared: the test files run in parallel processes, so
 * one builds under a lock directory while the others wait, and each file still works when run alone.
 * The build goes to a temporary name and is renamed into place, so a reader never sees half of it.
 */
export async function builtFrontEnd(
  opts: { root?: string; build?: (outDir: string) => Promise<unknown> } = {},
): Promise<string> {
  const { root = tmpdir(), build = buildViewerFrontEnd } = opts;
  const out = join(root, `csp-viewer-web-${frontEndSourceHash()}`);
  const lock = `${out}.lock`;
  for (;;) {
    if (existsSync(join(out, "index.html"))) return out;
    try {
      mkdirSync(lock);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      // Someone else builds: wait for the result, or take over a lock its owner left behind.
      const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
      if (since !== undefined && Date.now() - since > STALE_LOCK_MS)
        rmSync(lock, { recursive: true, force: true });
      await sleep(200);
      continue;
    }
    try {
      if (existsSync(join(out, "index.html"))) return out;
      const partial = `${out}.${process.pid}.tmp`;
      rmSync(partial, { recursive: true, force: true });
      await build(partial);
      rmSync(out, { recursive: true, force: true });
      renameSync(partial, out);
      return out;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}
