import cliProgress from "cli-progress";

/** Receives progress of a long step; `stop` ends the display. */
export interface Progress {
  /** `done` units of the total; `detail` is shown after the count (e.g. the latest loss). */
  update(done: number, detail?: string): void;
  stop(): void;
}

/**
 * Makes a display per phase of a long job. The library takes one in its options and draws nothing by
 * itself; the CLI passes {@link stderrProgress}.
 */
export type ProgressFactory = (label: string, total: number) => Progress;

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Where to draw; default process.stderr (stdout stays clean for results). */
  stream?: NodeJS.WriteStream;
  /** Whether to draw a bar; default: the stream is a TTY. Otherwise plain lines are logged. */
  bar?: boolean;
  /** Units already done when the display starts (a resumed job). */
  start?: number;
  /** Plain lines: one every this many units (and at the end); default one per 10%. */
  lineEvery?: number;
}

/** Shows nothing. */
export const silentProgress: Progress = { update() {}, stop() {} };

/**
 * Shows progress of `total` units: a cli-progress bar with elapsed time and ETA on a terminal, and
 * otherwise one plain line per 10% (or per `lineEvery` units) so that logs of non-interactive runs stay
 * short but still show the job is moving.
 */
export function createProgress(label: string, total: number, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.bar ?? stream.isTTY === true) return barProgress(label, total, stream, options.start ?? 0);
  const started = Date.now();
  const step = (done: number) =>
    options.lineEvery !== undefined
      ? Math.floor(done / options.lineEvery) + (done >= total ? 1 : 0)
      : total > 0
        ? Math.min(10, Math.floor((10 * done) / total))
        : 10;
  // The first update always shows: the job has started.
  let lastStep = step(options.start ?? 0) - 1;
  return {
    update(done: number, detail?: string): void {
      const current = step(done);
      if (current <= lastStep) return;
      lastStep = current;
      const percent = total > 0 ? Math.floor((100 * Math.min(done, total)) / total) : 100;
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      stream.write(`${label}: ${percent}% (${done}/${total}, ${seconds}s)${detail ? ` ${detail}` : ""}\n`);
    },
    stop(): void {},
  };
}

function barProgress(label: string, total: number, stream: NodeJS.WriteStream, start: number): Progress {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label.padEnd(24)} [{bar}] {value}/{total} | {duration_formatted} | ETA {eta_formatted}{detail}`,
      barsize: 30,
      fps: 5,
      etaBuffer: 20,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, start, { detail: "" });
  return {
    update: (done, detail) => bar.update(Math.min(done, total), { detail: detail ? ` | ${detail}` : "" }),
    stop: () => bar.stop(),
  };
}

/** A progress factory drawing on stderr (see {@link createProgress}); `quiet` shows nothing. */
export function stderrProgress(options: { quiet?: boolean; bar?: boolean } = {}): ProgressFactory {
  return (label, total) =>
    options.quiet ? silentProgress : createProgress(label, total, { bar: options.bar });
}
