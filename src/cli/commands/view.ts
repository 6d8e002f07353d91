import type { Command } from "commander";
import { intFlag } from "../../flag_values.js";
import { isLoopbackAddress } from "../../viewer/request_guard.js";
import { startViewer, type RunningViewer } from "../../viewer/server.js";
import { readStudyFile } from "../../viewer/study_route.js";
import { readTrajectoryFile } from "../../viewer/trajectory_route.js";

export interface ViewFlags {
  model?: string;
  task?: string;
  tokenizer?: string;
  shard?: string;
  corpus?: string[];
  windows?: string;
  port?: string;
  host?: string;
  allowRemote?: boolean;
  study?: string;
  trajectory?: string;
  dense?: string;
}

/**
 * `csp view`: starts the viewer, warns about circuits it cannot show, prints its address and stops it
 * on Ctrl-C. The returned viewer keeps the process alive until closed.
 */
export async function viewCommand(circuits: string[], flags: ViewFlags): Promise<RunningViewer> {
  // A study or trajectory named on the command line must be readable: say so before serving anything.
  if (flags.study !== undefined) readStudyFile(flags.study);
  if (flags.trajectory !== undefined) readTrajectoryFile(flags.trajectory);
  const viewer = await startViewer({
    circuits,
    model: flags.model,
    task: flags.task,
    tokenizer: flags.tokenizer,
    shard: flags.shard,
    corpus: flags.corpus,
    windows: intFlag("--windows", flags.windows, 64),
    port: intFlag("--port", flags.port, 8642, { min: 0, max: 65535 }),
    host: flags.host ?? "127.0.0.1",
    allowRemote: flags.allowRemote === true,
    study: flags.study,
    trajectory: flags.trajectory,
    dense: flags.dense,
  });
  if (!isLoopbackAddress(flags.host ?? "127.0.0.1"))
    console.error(
      `csp: warning: serving on ${flags.host} to the network (--allow-remote): the viewer has no login, ` +
        `so anyone who can reach ${viewer.url} can read the circuits and run the model`,
    );
  const s = viewer.workspace.session();
  for (const c of s.circuits) {
    if (c.error) console.error(`csp: warning: ${c.error}`);
    else if (c.liveError)
      console.error(`csp: note: ${c.file}: shown without live evaluation (${c.liveError})`);
  }
  // A study or trajectory alone needs no model of its own (each circuit opens with its model).
  const pageOnly = circuits.length === 0 && !flags.model && (flags.study || flags.trajectory);
  for (const problem of [pageOnly ? undefined : s.modelError, s.samplesError, s.steer?.error])
    if (problem) console.error(`csp: warning: ${problem}`);
  const what = [
    `${circuits.length} circuit file(s)`,
    flags.study && `the study ${flags.study}`,
    flags.trajectory && `the trajectory ${flags.trajectory}`,
  ].filter(Boolean);
  console.log(`csp view: serving ${what.join(", ")} at ${viewer.url}  (Ctrl-C to stop)`);
  const stop = () => void viewer.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return viewer;
}

export function registerView(program: Command): void {
  program
    .command("view")
    .description("serve a local web viewer of circuits: graphs per layer, node activations, live ablations")
    .argument(
      "[circuits...]",
      "circuit files (JSON, as written by csp prune); several make a loss-vs-size sweep",
    )
    .option("--model <dir>", "model directory (default: the circuit's model.path)")
    .option("--task <file>", "task JSONL (default: the circuit's task.path)")
    .option("--tokenizer <dir>", "tokenizer directory (default: found next to the model)")
    .option("--shard <file>", "token shard (uint16) for pretraining snippets, e.g. .csp-cache/<key>/val.bin")
    .option("--corpus <path...>", "corpus files or directories for pretraining snippets (when no --shard)")
    .option("--windows <n>", "pretraining windows for snippets and means", "64")
    .option("--port <n>", "port (0 picks a free one)", "8642")
    .option("--host <addr>", "address to bind (a non-loopback one needs --allow-remote)", "127.0.0.1")
    .option(
      "--allow-remote",
      "allow a --host that is not a loopback address (no login: anyone who reaches it can use it)",
    )
    .option(
      "--study <dir>",
      "a csp study output directory: its plots and table, each cell's circuit on demand",
    )
    .option(
      "--trajectory <file>",
      "a trajectory.json (csp trajectory): the circuit across training snapshots",
    )
    .option(
      "--dense <dir>",
      "the dense model a bridged --model's bridges join: node panels get a steering action (docs/bridges.md)",
    )
    .action(async (circuits: string[], flags: ViewFlags) => {
      await viewCommand(circuits, flags);
    });
}
