import { existsSync } from "node:fs";
import { CspError } from "../../errors.js";
import { readSafetensors } from "../../io/safetensors.js";
import { bridgesPath } from "../../model/bridges_file.js";

/** The summary names of the loss terms (snake_case, as the rest of `csp train`'s summary). */
const SUMMARY_NAMES: Record<string, string> = {
  total: "total",
  ce: "ce",
  nmseEncoder: "nmse_encoder",
  nmseDecoder: "nmse_decoder",
  klSparseHybrid: "kl_sparse_hybrid",
  klDenseHybrid: "kl_dense_hybrid",
  denseCe: "dense_ce",
};

/**
 * The bridge loss terms of a bridged run's last step, as its bridges.safetensors records them
 * (`last_terms`), for `csp train --bridges`' final summary; undefined before the first checkpoint.
 * Read from the file, so a resumed session that had nothing left to run still reports them.
 */
export function lastBridgeTerms(outDir: string): Record<string, number> | undefined {
  const terms = storedLastTerms(outDir);
  if (!terms) return undefined;
  return Object.fromEntries(Object.entries(terms).map(([k, v]) => [SUMMARY_NAMES[k] ?? k, v]));
}

/** `last_terms` of the bridges file in a run directory, as stored; undefined when there is none. */
export function storedLastTerms(outDir: string): Record<string, number> | undefined {
  const path = bridgesPath(outDir);
  if (!existsSync(path)) return undefined;
  const raw = readSafetensors(path).metadata.csp_bridges;
  try {
    return (JSON.parse(raw ?? "{}") as { last_terms?: Record<string, number> }).last_terms;
  } catch {
    throw new CspError(`${path}: bridges metadata is not valid JSON`);
  }
}
