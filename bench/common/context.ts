import type { ChildOutcome } from "./proc.js";

/** What every benchmark section gets from run-all. */
export interface BenchContext {
  quick: boolean;
  /** A private temporary directory (removed at the end unless --keep-tmp). */
  tmp: string;
  threads: number;
  /** Null when PyTorch is usable; otherwise why not (every baseline number is then null with this reason). */
  torchUnavailable: string | null;
  log(line: string): void;
  /** Set in our children's environment: CSP_ADDON_MARCH, the build of the addon being measured. */
  oursEnv?: Record<string, string>;
  /**
   * A PyTorch measurement, run once per benchmark run under `key` and reused for every build of ours
   * (absent: run every time).
   */
  torchOnce?: <T>(key: string, run: () => ChildOutcome<T>) => ChildOutcome<T>;
}

/** ctx.torchOnce, or running `run` when the context keeps no shared PyTorch results. */
export function torchMeasurement<T>(
  ctx: BenchContext,
  key: string,
  run: () => ChildOutcome<T>,
): ChildOutcome<T> {
  return ctx.torchOnce ? ctx.torchOnce(key, run) : run();
}

/** A torchOnce that remembers each key's outcome (or failure) for the lifetime of the returned function. */
export function torchMemo(log: (line: string) => void): NonNullable<BenchContext["torchOnce"]> {
  const done = new Map<string, { outcome?: ChildOutcome<unknown>; error?: unknown }>();
  return <T>(key: string, run: () => ChildOutcome<T>): ChildOutcome<T> => {
    const hit = done.get(key);
    if (hit) {
      log(`  torch (${key}): the measurement made for the first build, reused`);
      if (hit.error !== undefined) throw hit.error;
      return hit.outcome as ChildOutcome<T>;
    }
    try {
      const outcome = run();
      done.set(key, { outcome });
      return outcome;
    } catch (error) {
      done.set(key, { error });
      throw error;
    }
  };
}

/** The message of an error, on one line. */
export function errorLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}
