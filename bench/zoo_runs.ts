import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./common/paths.js";
import { stepsToTargetSparsity } from "./run_ratio.js";

/** One committed zoo model's time to a validation loss, from its metrics.jsonl. */
export interface ZooRunToLoss {
  model: string;
  /** Steps completed at the first evaluation with val_loss ≤ the target (null: never reached). */
  step: number | null;
  /** Only evaluations after this many steps count: the sparse model at its target sparsity (anneal over). */
  minSteps: number;
  /** elapsed_s there: training wall seconds as the run logged them (validation included). */
  seconds: number | null;
  finalValLoss: number;
}

export interface ZooWholeRun {
  sparse: ZooRunToLoss;
  /** The sparse model's final validation loss, the target every model is timed to. */
  targetLoss: number;
  dense: ZooRunToLoss[];
  /** The sparse run's seconds over the fastest dense run's that reaches the target (≤ 1: sparse cheaper). */
  sparseOverFastestDense: number | null;
  fastestDense: string | null;
  source: string;
}

interface MetricsRow {
  step: number;
  elapsed_s: number;
  val_loss?: number;
}

function readEvals(path: string): MetricsRow[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as MetricsRow)
    .filter((r) => typeof r.val_loss === "number");
}

function toLoss(model: string, evals: MetricsRow[], target: number, minSteps: number): ZooRunToLoss {
  const hit = evals.find((r) => r.step + 1 >= minSteps && r.val_loss! <= target);
  return {
    model,
    minSteps,
    step: hit ? hit.step + 1 : null,
    seconds: hit ? hit.elapsed_s : null,
    finalValLoss: evals.at(-1)!.val_loss!,
  };
}

/**
 * The whole-run comparison from the committed zoo (models/zoo/NAME/metrics.jsonl), not retrained:
 * the sparse model's time to its own final validation loss against each dense model's time to the same
 * loss. The zoo's times come from a machine shared with other jobs (docs/zoo.md): upper bounds.
 */
export function zooWholeRun(
  sparse = "sparse-ef4",
  dense: readonly string[] = ["dense-d32", "dense-d64", "dense-d128"],
  zooDir = join(repoRoot(), "models", "zoo"),
): ZooWholeRun {
  const file = (m: string) => join(zooDir, m, "metrics.jsonl");
  // A model still annealing towards its sparsity can dip below its final loss: it is not the model asked for.
  const minSteps = (m: string): number => {
    const path = join(zooDir, m, "config.json");
    if (!existsSync(path)) return 0;
    const train = (
      JSON.parse(readFileSync(path, "utf8")) as { train?: Parameters<typeof stepsToTargetSparsity>[0] }
    ).train;
    return train ? stepsToTargetSparsity(train) : 0;
  };
  for (const m of [sparse, ...dense])
    if (!existsSync(file(m))) throw new Error(`${file(m)}: missing (the committed zoo model's training log)`);
  const sparseEvals = readEvals(file(sparse));
  if (sparseEvals.length === 0) throw new Error(`${file(sparse)}: no validation losses`);
  const targetLoss = sparseEvals.at(-1)!.val_loss!;
  const denseRuns = dense.map((m) => toLoss(m, readEvals(file(m)), targetLoss, minSteps(m)));
  const reached = denseRuns.filter((r) => r.seconds !== null);
  const fastest = reached.reduce<ZooRunToLoss | null>(
    (b, r) => (!b || r.seconds! < b.seconds! ? r : b),
    null,
  );
  const s = toLoss(sparse, sparseEvals, targetLoss, minSteps(sparse));
  return {
    sparse: s,
    targetLoss,
    dense: denseRuns,
    sparseOverFastestDense: fastest && s.seconds !== null ? s.seconds / fastest.seconds! : null,
    fastestDense: fastest?.model ?? null,
    source:
      "models/zoo/*/metrics.jsonl (elapsed_s at the evaluations; trained 2026-12-02 on a shared 2-core machine, docs/zoo.md)",
  };
}
