import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { loadNativeBackend } from "../src/backend/native.js";
import { errorLine } from "./common/context.js";
import { repoRoot } from "./common/paths.js";
import type { BuildResults } from "./common/results.js";

/** The portable build every x86-64 machine from Haswell (2013) on runs: AVX2 and FMA. */
export const PORTABLE_MARCH = "x86-64-v3";

/**
 * The builds of the addon a benchmark run measures on a machine with these CPU flags: x86-64-v3 where
 * the CPU runs it (AVX2 + FMA), and the machine's native build where it differs from that, i.e. where
 * the CPU has AVX-512 (or lacks AVX2, where native is the only build it can run).
 */
export function buildsToMeasure(cpuFlags: readonly string[]): string[] {
  const v3 = cpuFlags.includes("avx2") && cpuFlags.includes("fma");
  const wider = cpuFlags.includes("avx512f");
  return [...(v3 ? [PORTABLE_MARCH] : []), ...(wider || !v3 ? ["native"] : [])];
}

/**
 * Makes sure the build for `march` exists and is up to date (scripts/build-addon.mjs --if-stale), and
 * loads it: its instruction sets, or why it cannot be measured.
 */
export function prepareBuild(
  march: string,
  log: (line: string) => void,
): Pick<BuildResults, "simd"> & { unavailable?: string } {
  const script = join(repoRoot(), "scripts", "build-addon.mjs");
  log(`  build -march=${march}: node scripts/build-addon.mjs --march ${march} --if-stale`);
  const r = spawnSync(process.execPath, [script, "--march", march, "--if-stale"], {
    cwd: repoRoot(),
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.error || r.status !== 0)
    return {
      simd: null,
      unavailable: `the -march=${march} addon did not build (${r.error ? errorLine(r.error) : `exit ${r.status}`})`,
    };
  const { build, error } = loadNativeBackend(march);
  if (!build) return { simd: null, unavailable: `the -march=${march} addon does not load: ${error}` };
  log(`  build -march=${march}: ${build.path}`);
  return { simd: build.simd };
}
