/** What every benchmark section gets from run-all. */
export interface BenchContext {
  quick: boolean;
  /** A private temporary directory (removed at the end unless --keep-tmp). */
  tmp: string;
  threads: number;
  /** Null when PyTorch is usable; otherwise why not (every baseline number is then null with this reason). */
  torchUnavailable: string | null;
  log(line: string): void;
}

/** The message of an error, on one line. */
export function errorLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}
