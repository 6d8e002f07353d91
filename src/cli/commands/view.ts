import type { Command } from "commander";
import { intFlag } from "../../flag_values.js";
import { startViewer, type RunningViewer } from "../../viewer/server.js";

export interface ViewFlags {
  model?: string;
  task?: string;
  tokenizer?: string;
  shard?: string;
  corpus?: string[];
  windows?: string;
  port?: string;
  host?: string;
}

/**
 * `csp view`: starts the viewer, warns about circuits it cannot show, prints its address and stops it
 * on Ctrl-C. The returned viewer keeps the process alive until closed.
 */
export async function viewCommand(circuits: string[], flags: ViewFlags): Promise<RunningViewer> {
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
  });
  const s = viewer.workspace.session();
  for (const c of s.circuits) {
    if (c.error) console.error(`csp: warning: ${c.error}`);
    else if (c.liveError)
      console.error(`csp: note: ${c.file}: shown without live evaluation (${c.liveError})`);
  }
  for (const problem of [s.modelError, s.samplesError])
    if (problem) console.error(`csp: warning: ${problem}`);
  console.log(`csp view: serving ${circuits.length} circuit file(s) at ${viewer.url}  (Ctrl-C to stop)`);
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
    .option("--host <addr>", "address to bind", "127.0.0.1")
    .action(async (circuits: string[], flags: ViewFlags) => {
      await viewCommand(circuits, flags);
    });
}
