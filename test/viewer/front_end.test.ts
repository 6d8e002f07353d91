import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { builtFrontEnd, frontEndSourceHash } from "./front_end.js";

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A stand-in for the Vite build: slow enough for callers to overlap, and counted. */
function fakeBuild() {
  const calls: string[] = [];
  const build = async (dir: string) => {
    calls.push(dir);
    mkdirSync(dir, { recursive: true });
    await new Promise((ok) => setTimeout(ok, 300));
    writeFileSync(join(dir, "index.html"), "<!doctype html>");
  };
  return { calls, build };
}

describe("the browser tests' shared front-end build", () => {
  it("builds once for callers that ask at the same time, and reuses the build afterwards", async () => {
    root = mkdtempSync(join(tmpdir(), "csp-front-end-"));
    const { calls, build } = fakeBuild();
    const dirs = await Promise.all([1, 2, 3].map(() => builtFrontEnd({ root, build })));
    expect(new Set(dirs).size).toBe(1);
    expect(calls).toHaveLength(1);
    expect(await builtFrontEnd({ root, build })).toBe(dirs[0]);
    expect(calls).toHaveLength(1);
    // Only the finished build is left: no lock, no partial directory.
    expect(readdirSync(root)).toEqual([dirs[0].slice(root.length + 1)]);
  });

  it("takes over a lock left by a run that died mid-build", async () => {
    root = mkdtempSync(join(tmpdir(), "csp-front-end-"));
    const lock = join(root, `csp-viewer-web-${frontEndSourceHash()}.lock`);
    mkdirSync(lock);
    const old = new Date(Date.now() - 600_000);
    utimesSync(lock, old, old);
    const { calls, build } = fakeBuild();
    await builtFrontEnd({ root, build });
    expect(calls).toHaveLength(1);
  });

  it("keys the build by the sources' contents", () => {
    root = mkdtempSync(join(tmpdir(), "csp-front-end-"));
    const a = join(root, "a.tsx");
    writeFileSync(a, "one");
    const before = frontEndSourceHash([a]);
    writeFileSync(a, "two");
    expect(frontEndSourceHash([a])).not.toBe(before);
  });
});
