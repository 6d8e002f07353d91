import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../src/io/atomic.js";
import { SYSTEM_PYTHON, benchSourceDir, oursChildScript, repoRoot } from "./paths.js";
import { waitForQuiet } from "./quiet.js";

/** Threads for both sides: the benchmark machine has 2 cores. */
export const BENCH_THREADS = 2;

/**
 * OpenBLAS tuning variables that may be set on the benchmark machine and slow numpy/torch down
 * (OPENBLAS_CORETYPE pins an older kernel family): the baseline runs without them.
 */
export const UNSET_FOR_BASELINE = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"] as const;

/**
 * Set for the baseline: 2 OpenMP threads, and threads that sleep rather than spin while waiting. On a
 * machine shared with other work, libgomp's default spinning made torch's training step 20× slower
 * (measured: 4.1 s vs 0.24 s on the quick model with the load average at 9), which would flatter us.
 */
export const SET_FOR_BASELINE = {
  OMP_NUM_THREADS: String(BENCH_THREADS),
  OMP_WAIT_POLICY: "PASSIVE",
} as const;

/** The environment of the PyTorch child: ours minus the OpenBLAS overrides, plus SET_FOR_BASELINE. */
export function baselineEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = { ...base };
  for (const k of UNSET_FOR_BASELINE) delete env[k];
  return { ...env, ...SET_FOR_BASELINE };
}

/** Seconds a measurement waits at most for other processes to leave the cores idle (run-all sets it). */
export const quietWait = { maxSeconds: 30 };

/** A command as one could paste it into a shell (arguments quoted where needed). */
export function shellQuote(args: readonly string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}

export interface ChildOutcome<T> {
  /** Exactly what was run, environment changes included. */
  command: string;
  result: T;
  wallSeconds: number;
  /** Fraction of the cores other processes kept busy just before the child started (null: unknown). */
  otherCpuBusy: number | null;
}

function runChild<T>(
  argv: string[],
  env: NodeJS.ProcessEnv,
  shown: string,
  outPath: string,
): ChildOutcome<T> {
  const otherCpuBusy = waitForQuiet(quietWait.maxSeconds);
  const t0 = performance.now();
  const r = spawnSync(argv[0], argv.slice(1), {
    cwd: repoRoot(),
    env,
    stdio: ["ignore", "inherit", "inherit"],
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  if (r.error) throw new Error(`${shown}: could not start (${r.error.message})`);
  if (r.status !== 0) throw new Error(`${shown}: exited with ${r.status ?? r.signal}`);
  const result = JSON.parse(readFileSync(outPath, "utf8")) as T;
  return { command: shown, result, wallSeconds, otherCpuBusy };
}

/**
 * Runs one measurement of our side in a fresh Node process (so its peak RSS is its own):
 * `node dist/bench/child.js <task> <spec.json>`. The spec names the output file (`out`).
 */
export function runOursChild<T>(
  task: string,
  spec: { out: string } & object,
  specPath: string,
  env: Record<string, string> = {},
): ChildOutcome<T> {
  writeFileAtomic(specPath, JSON.stringify(spec, null, 2) + "\n");
  const argv = [process.execPath, oursChildScript(), task, specPath];
  const sets = Object.entries(env).map(([k, v]) => `${k}=${v} `);
  const shown = sets.join("") + shellQuote(["node", ...argv.slice(1)]);
  const outcome = runChild<T>(argv, { ...process.env, ...env }, shown, spec.out);
  const ran = (outcome.result as { runtime?: { nativeBuild?: { march?: string } | null } }).runtime
    ?.nativeBuild;
  const asked = env.CSP_ADDON_MARCH;
  if (asked !== undefined && ran?.march !== asked)
    throw new Error(`${shown}: ran on build ${ran ? ran.march : "none (no native addon)"}, not ${asked}`);
  return outcome;
}

/**
 * Runs a PyTorch baseline script of bench/torch (`script` plus its arguments, e.g. ["train.py", "step"])
 * with the same spec format, under Debian's python and the baseline environment.
 */
export function runTorchChild<T>(
  script: readonly string[],
  spec: { out: string } & object,
  specPath: string,
): ChildOutcome<T> {
  writeFileAtomic(specPath, JSON.stringify(spec, null, 2) + "\n");
  const argv = [SYSTEM_PYTHON, join(benchSourceDir(), "torch", script[0]), ...script.slice(1), specPath];
  const sets = Object.entries(SET_FOR_BASELINE).map(([k, v]) => `${k}=${v}`);
  const shown =
    `env ${UNSET_FOR_BASELINE.map((k) => `-u ${k}`).join(" ")} ${sets.join(" ")} ` + shellQuote(argv);
  return runChild<T>(argv, baselineEnv(), shown, spec.out);
}
