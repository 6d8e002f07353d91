import type { Command } from "commander";
import { ABLATION_KINDS } from "../../circuit/ablation.js";
import { choiceFlag, intFlag, numFlag } from "../../flag_values.js";
import { stderrProgress } from "../../io/progress.js";
import { PRUNE_METHODS } from "../../prune/prune.js";
import { PRUNE_JOB_DEFAULTS } from "../../prune/run.js";
import { PRUNE_SETTING_KEYS, pruneSettings, type PruneSettingKey } from "../../prune/settings.js";
import { runTrajectory } from "../../prune/trajectory.js";
import { TRAJECTORY_FILE } from "../../prune/trajectory_format.js";

export interface TrajectoryFlags {
  model: string;
  task: string;
  out: string;
  targetLoss?: string;
  ablation?: string;
  method?: string;
  corpus?: string[];
  shard?: string;
  tokens?: string;
  seqLen?: string;
  at?: string;
  quiet?: boolean;
  /** The prune settings, by commander's camelCase name (`evalPairs`, `kCoef`, ...). */
  [setting: string]: unknown;
}

const flagName = (key: PruneSettingKey) => `--${key.replace(/_/g, "-")}`;
const flagProperty = (key: PruneSettingKey) => key.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());

/** `csp trajectory`: the task's circuit at every snapshot of a run; returns the summary line. */
export function trajectoryCommand(f: TrajectoryFlags): string {
  const settings = pruneSettings((key) => f[flagProperty(key)] as string | undefined, flagName);
  const result = runTrajectory({
    runDir: f.model,
    taskPath: f.task,
    outDir: f.out,
    prune: {
      ...PRUNE_JOB_DEFAULTS,
      ...settings,
      targetLoss: numFlag("--target-loss", f.targetLoss, PRUNE_JOB_DEFAULTS.targetLoss, {
        min: 0,
        minExclusive: true,
      }),
      ablation: choiceFlag("--ablation", f.ablation, ABLATION_KINDS, PRUNE_JOB_DEFAULTS.ablation),
      method: choiceFlag("--method", f.method, PRUNE_METHODS, PRUNE_JOB_DEFAULTS.method),
    },
    means: {
      corpus: f.corpus,
      shard: f.shard,
      tokens: intFlag("--tokens", f.tokens, 32768),
      seqLen: f.seqLen === undefined ? undefined : intFlag("--seq-len", f.seqLen, 0),
    },
    at: f.at?.split(",").map((x) => intFlag("--at", x.trim(), 0, { min: 0 })),
    progress: stderrProgress({ quiet: f.quiet }),
    log: f.quiet ? undefined : (line) => process.stderr.write(line + "\n"),
  });
  const t = result.trajectory;
  const last = t.snapshots[t.snapshots.length - 1];
  return (
    `wrote ${f.out}/${TRAJECTORY_FILE}: ${t.snapshots.length} snapshots, ${result.pruned} pruned, ` +
    `${result.skipped} not learned; final step ${t.final_step}: ${last.nodes} nodes, ${last.edges} edges ` +
    `(${result.seconds.toFixed(1)}s)`
  );
}

export function registerTrajectory(program: Command): void {
  const cmd = program
    .command("trajectory")
    .description(
      "prune one task at every weight snapshot of a training run (csp train --snapshot-every) and plot how its circuit forms",
    )
    .requiredOption("--model <dir>", "training run directory with snapshots")
    .requiredOption("--task <file>", "task JSONL (minimal pairs)")
    .requiredOption(
      "--out <dir>",
      "output directory (must not exist): trajectory.json, plots, circuits/, models/",
    )
    .option("--target-loss <x>", "task loss each circuit must reach", String(PRUNE_JOB_DEFAULTS.targetLoss))
    .option("--ablation <kind>", `what pruned nodes become: ${ABLATION_KINDS.join(" | ")}`)
    .option("--method <m>", `node ranking: ${PRUNE_METHODS.join(" | ")}`)
    .option(
      "--corpus <paths...>",
      "text for each snapshot's means (default: the windows of the run's means.safetensors, else the standard library)",
    )
    .option("--shard <file>", "token shard for the means instead of a corpus")
    .option("--tokens <n>", "tokens to average the means over", "32768")
    .option("--seq-len <n>", "means window length (default: the training context)")
    .option(
      "--at <steps>",
      "only these snapshot steps, comma-separated (the final snapshot is always included)",
    )
    .option("--quiet", "no progress output");
  for (const key of PRUNE_SETTING_KEYS) cmd.option(`${flagName(key)} <x>`, `as csp prune ${flagName(key)}`);
  cmd.action((f: TrajectoryFlags) => console.log(trajectoryCommand(f)));
}
