import type { Command } from "commander";
import { CspError } from "../../errors.js";
import { startViewer } from "../../viewer/server.js";

interface ViewFlags {
  model?: string;
  task?: string;
  tokenizer?: string;
  shard?: string;
  corpus?: string[];
  windows?: string;
  port: string;
  host: string;
}

function positiveInt(flag: string, value: string, allowZero = false): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1))
    throw new CspError(`${flag}: expected an integer, got "${value}"`);
  return n;
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
      const viewer = await startViewer({
        circuits,
        model: flags.model,
        task: flags.task,
        tokenizer: flags.tokenizer,
        shard: flags.shard,
        corpus: flags.corpus,
        windows: positiveInt("--windows", flags.windows ?? "64"),
        port: positiveInt("--port", flags.port, true),
        host: flags.host,
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
    });
}
