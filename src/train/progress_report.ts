import cliProgress from "cli-progress";

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
 * Progress on stderr: a cli-progress bar on a terminal (step, loss, val loss, nonzero weights, tokens/s,
 * ETA), otherwise one plain line every `lineEvery` steps so that logs stay readable.
 */
export function stderrReporter(opts: { bar?: boolean; lineEvery?: number } = {}): TrainReporter {
  const stream = process.stderr;
  const useBar = opts.bar ?? stream.isTTY === true;
  const lineEvery = opts.lineEvery ?? 50;
  let bar: cliProgress.SingleBar | undefined;
  return {
    start(firstStep, totalSteps) {
      if (!useBar) return;
      bar = new cliProgress.SingleBar(
        {
          stream,
          format:
            "step {value}/{total} [{bar}] loss {loss} | val {val} | nonzero {nnz} | {tps} tok/s | ETA {eta}",
          barsize: 20,
          fps: 4,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(totalSteps, firstStep, { loss: "-", val: "-", nnz: "-", tps: "-", eta: "?" });
    },
    step(r) {
      const payload = {
        loss: fmtLoss(r.loss),
        val: fmtLoss(r.valLoss),
        nnz: fmtNonzero(r),
        tps: Math.round(r.tokensPerSecond),
        eta: fmtEta(r.etaSeconds),
      };
      if (bar) {
        bar.update(r.step + 1, payload);
        return;
      }
      if ((r.step + 1) % lineEvery === 0 || r.step + 1 === r.totalSteps) {
        stream.write(
          `step ${r.step + 1}/${r.totalSteps} loss ${payload.loss} val ${payload.val} nonzero ${payload.nnz} ` +
            `${payload.tps} tok/s ETA ${payload.eta}\n`,
        );
      }
    },
    message(line) {
      if (bar) bar.stop();
      stream.write(line + "\n");
      bar = undefined;
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
