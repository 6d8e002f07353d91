import { createProgress, type Progress } from "../io/progress.js";

/** What the trainer tells its observer after each step. */
export interface StepReport {
  step: number;
  /** Loop length S + 1. */
  totalSteps: number;
  loss: number;
  /** The latest validation loss, if one was measured yet. */
  valLoss?: number;
  nonzero: number;
  prunable: number;
  tokensPerSecond: number;
  /** Seconds left at the session's average speed. */
  etaSeconds: number;
}

/** Receives training progress; the CLI draws it, tests ignore it. */
export interface TrainReporter {
  start(firstStep: number, totalSteps: number): void;
  step(report: StepReport): void;
  /** A one-off line (resume notice, checkpoint, summary). */
  message(line: string): void;
  stop(): void;
}

export const silentReporter: TrainReporter = { start() {}, step() {}, message() {}, stop() {} };

const fmtLoss = (x: number | undefined) => (x === undefined ? "-" : x.toFixed(3));

function fmtNonzero(r: StepReport): string {
  if (r.prunable === 0) return "dense";
  return `${r.nonzero} (${((100 * r.nonzero) / r.prunable).toFixed(1)}%)`;
}

function fmtEta(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : `${m}m${String(sec).padStart(2, "0")}s`;
}

/**
 * Training progress through the shared display (io/progress.ts): a bar on a terminal with the loss, val
 * loss, nonzero weights and tokens/s beside it, otherwise one plain line every `lineEvery` steps.
 */
export function stderrReporter(opts: { bar?: boolean; lineEvery?: number } = {}): TrainReporter {
  const lineEvery = opts.lineEvery ?? 50;
  let display: Progress | undefined;
  let total = 0;
  let done = 0;
  return {
    start(firstStep, totalSteps) {
      total = totalSteps;
      done = firstStep;
      display = createProgress("step", total, { bar: opts.bar, start: done, lineEvery });
    },
    step(r) {
      done = r.step + 1;
      display?.update(
        done,
        `loss ${fmtLoss(r.loss)} | val ${fmtLoss(r.valLoss)} | nonzero ${fmtNonzero(r)} | ` +
          `${Math.round(r.tokensPerSecond)} tok/s | ETA ${fmtEta(r.etaSeconds)}`,
      );
    },
    message(line) {
      // A bar redraws its own line: end it, print the message, and go on with plain lines.
      if (display) {
        display.stop();
        display = createProgress("step", total, { bar: false, start: done, lineEvery });
      }
      process.stderr.write(line + "\n");
    },
    stop() {
      display?.stop();
      display = undefined;
    },
  };
}
