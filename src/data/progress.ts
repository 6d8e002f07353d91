import cliProgress from "cli-progress";

/** Receives progress of a long step; `stop` ends the display. */
export interface Progress {
  update(done: number): void;
  stop(): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Where to draw; default process.stderr (stdout stays clean for results). */
  stream?: NodeJS.WriteStream;
  /** Whether to draw a bar; default: the stream is a TTY. Otherwise a line is logged per 10%. */
  bar?: boolean;
}

/**
 * Shows progress of `total` units on stderr: a cli-progress bar on a terminal, and otherwise one plain
 * line per 10% so that logs of non-interactive runs stay short but still show the job is moving.
 */
export function createProgress(label: string, total: number, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.bar ?? stream.isTTY === true) {
    const bar = new cliProgress.SingleBar(
      { stream, format: `${label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}`, fps: 5 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return { update: (done) => bar.update(done), stop: () => bar.stop() };
  }
  let lastTenth = -1;
  const started = Date.now();
  return {
    update(done: number): void {
      const tenth = total > 0 ? Math.floor((10 * done) / total) : 10;
      if (tenth <= lastTenth) return;
      lastTenth = tenth;
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      stream.write(`${label}: ${tenth * 10}% (${done}/${total}, ${seconds}s)\n`);
    },
    stop(): void {},
  };
}
