import cliProgress from "cli-progress";
import type { PhaseProgress, ProgressFactory } from "./prune.js";

/**
 * Progress bars on stderr with elapsed time and ETA: a cli-progress bar on a terminal, otherwise one line
 * per 10% (logs stay short). `quiet` shows nothing.
 */
export function stderrProgress(quiet = false): ProgressFactory {
  return (label: string, total: number): PhaseProgress => {
    if (quiet) return { update() {}, stop() {} };
    const stream = process.stderr;
    if (stream.isTTY) {
      const bar = new cliProgress.SingleBar(
        {
          stream,
          format: `${label.padEnd(24)} [{bar}] {value}/{total} | {duration_formatted} | ETA {eta_formatted}`,
          fps: 5,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
      return {
        update: (done) => bar.update(Math.min(done, total)),
        stop: () => bar.stop(),
      };
    }
    const started = Date.now();
    let lastTenth = -1;
    return {
      update(done: number) {
        const tenth = total > 0 ? Math.min(10, Math.floor((10 * done) / total)) : 10;
        if (tenth <= lastTenth) return;
        lastTenth = tenth;
        const elapsed = (Date.now() - started) / 1000;
        const eta = done > 0 ? (elapsed * (total - done)) / done : NaN;
        stream.write(
          `${label}: ${done}/${total} (${elapsed.toFixed(1)}s${done < total && Number.isFinite(eta) ? `, ETA ${eta.toFixed(0)}s` : ""})\n`,
        );
      },
      stop() {},
    };
  };
}
