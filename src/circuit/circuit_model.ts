import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { CspError } from "../errors.js";
import { loadModel } from "../model/checkpoint.js";
import { configHash, sha256, weightsHash } from "../model/model_hash.js";
import type { Model } from "../model/model.js";
import type { CircuitFile } from "./format.js";

/** Models already loaded and hashed, by directory (several circuit files usually share one). */
export type ModelCache = Map<string, { model?: Model; weights?: string; error?: string }>;

/**
 * Where a path written in a circuit file may be, in order: an absolute path as is; a relative one
 * relative to the circuit file's directory (where `csp prune` writes it from), then to the working
 * directory (older files wrote it so). Duplicates removed.
 */
export function pathCandidates(written: string, circuitPath: string): string[] {
  if (isAbsolute(written)) return [written];
  return [...new Set([resolve(dirname(circuitPath), written), resolve(written)])];
}

const short = (hash: string) => `${hash.slice(0, 12)}…`;

/**
 * The model a circuit file was found on: `override` (--model) if given, else `model.path` by
 * pathCandidates. A candidate is accepted only if it holds that model: the same weights hash (for a
 * random-init control, whose pruned weights were drawn from a seed, the same config hash). The error
 * names every directory tried and why it was refused.
 */
export function findCircuitModel(
  circuit: CircuitFile,
  circuitPath: string,
  opts: { override?: string; cache?: ModelCache } = {},
): { dir: string; model: Model } {
  const cache: ModelCache = opts.cache ?? new Map();
  const candidates = opts.override ? [opts.override] : pathCandidates(circuit.model.path, circuitPath);
  const randomInit = circuit.control?.kind === "random-init";
  const tried: string[] = [];
  for (const dir of candidates) {
    const key = resolve(dir);
    let entry = cache.get(key);
    if (!entry) {
      try {
        const model = loadModel(dir);
        entry = { model, weights: randomInit ? undefined : weightsHash(model) };
      } catch (e) {
        if (!(e instanceof CspError)) throw e;
        entry = { error: existsSync(dir) ? e.message.split("\n")[0] : "no such directory" };
      }
      cache.set(key, entry);
    }
    if (!entry.model) {
      tried.push(`${dir} (${entry.error})`);
      continue;
    }
    if (randomInit) {
      const config = configHash(entry.model.config);
      if (config === circuit.model.config_hash) return { dir, model: entry.model };
      tried.push(
        `${dir} (another config: hash ${short(config)}, the circuit's ${short(circuit.model.config_hash)})`,
      );
      continue;
    }
    entry.weights ??= weightsHash(entry.model);
    if (entry.weights === circuit.model.weights_hash) return { dir, model: entry.model };
    tried.push(
      `${dir} (other weights: hash ${short(entry.weights)}, the circuit's ${short(circuit.model.weights_hash)})`,
    );
  }
  throw new CspError(
    `${circuitPath}: cannot find the model the circuit was found on (model.path ${JSON.stringify(circuit.model.path)}); ` +
      `tried ${tried.join("; ")}${opts.override ? "" : "; pass --model DIR"}`,
  );
}

/**
 * The task file of a circuit: `override` (--task) as given (task pairs are data: another file is a
 * legitimate choice), else `task.path` by pathCandidates, where a candidate is accepted only if its
 * sha256 is the circuit's `task.hash`.
 */
export function findCircuitTask(circuit: CircuitFile, circuitPath: string, override?: string): string {
  if (override) return override;
  const candidates = pathCandidates(circuit.task.path, circuitPath);
  const tried: string[] = [];
  for (const path of candidates) {
    let hash: string;
    try {
      hash = sha256(readFileSync(path));
    } catch (e) {
      tried.push(
        `${path} (${(e as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : (e as Error).message})`,
      );
      continue;
    }
    if (hash === circuit.task.hash) return path;
    tried.push(`${path} (another task file: hash ${short(hash)}, the circuit's ${short(circuit.task.hash)})`);
  }
  throw new CspError(
    `${circuitPath}: cannot find the task file the circuit was found on (task.path ${JSON.stringify(circuit.task.path)}); ` +
      `tried ${tried.join("; ")}; pass --task FILE`,
  );
}
