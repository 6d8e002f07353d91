import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO, type CliResult } from "../helpers/cli.js";

/** Runs a built example (examples/NAME.ts → dist/examples/NAME.js; npm test builds it first). */
export function runExample(name: string, args: string[] = []): CliResult {
  const r = spawnSync(process.execPath, [join(REPO, "dist", "examples", `${name}.js`), ...args], {
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The number after `label` in `text` (e.g. "loss 0.0123"); fails the test when it is missing. */
export function numberAfter(text: string, label: string): number {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const m = new RegExp(`${escaped}\\s*(-?\\d+(?:\\.\\d+)?)`).exec(text);
  if (!m) throw new Error(`no number after "${label}" in:\n${text}`);
  return Number(m[1]);
}

/**
 * What the example wrote to stderr besides the one warning of a machine without the native addon
 * (CSP_ALLOW_NO_NATIVE=1 runs): an example that works prints nothing else there.
 */
export function unexpectedStderr(r: CliResult): string {
  return r.stderr
    .split("\n")
    .filter((line) => line !== "" && !/native addon unavailable|--trace-warnings/.test(line))
    .join("\n");
}
