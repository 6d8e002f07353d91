import { existsSync } from "node:fs";
import { join } from "node:path";
import { CspError } from "../errors.js";
import { METRICS_FILE, readMetrics, type StepMetrics } from "../train/metrics.js";
import type { MetricsPoint, MetricsView } from "./api_types.js";

const NUMBER_FIELDS = ["step", "lr", "loss", "nonzero", "prunable", "tokens"] as const;

/**
 * The training curves of the model in `modelDir`, from the metrics.jsonl `csp train` writes there. A
 * model without the file (converted, or trained elsewhere) gets a note instead of charts; a file with no
 * usable record is an error naming it.
 */
export function metricsView(modelDir: string): MetricsView {
  const file = join(modelDir, METRICS_FILE);
  if (!existsSync(file))
    return {
      file,
      points: [],
      note: `${file}: not found (csp train writes it; converted models have no training metrics)`,
    };
  // readMetrics skips a torn last line (a crashed run); records without the numbers are unusable.
  const records = readMetrics(file).filter((r) => NUMBER_FIELDS.every((k) => typeof r[k] === "number"));
  if (records.length === 0) throw new CspError(`${file}: no readable training record (expected JSON lines)`);
  return { file, points: records.map(point), last: lastRecord(records[records.length - 1]) };
}

function point(r: StepMetrics): MetricsPoint {
  return {
    step: r.step,
    loss: r.loss,
    valLoss: typeof r.val_loss === "number" ? r.val_loss : undefined,
    lr: r.lr,
    kept: r.prunable > 0 ? r.nonzero / r.prunable : 1,
    tokens: r.tokens,
  };
}

function lastRecord(r: StepMetrics): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(r)) if (typeof v === "number" || v === null) out[k] = v;
  return out;
}
