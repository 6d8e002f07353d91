import type { Command } from "commander";
import { DEFAULT_MODEL_DIR } from "../../model/default_model.js";
import { ABLATION_KINDS } from "../../circuit/ablation.js";
import { choiceFlag, numFlag } from "../../flag_values.js";
import { pruneSettings, type PruneSettingKey } from "../../prune/settings.js";
import {
  DEFAULT_CONFIDENCE,
  DEFAULT_EFFECTS_PAIRS,
  DEFAULT_EVAL_PAIRS,
  DEFAULT_MASK_TRAIN,
  DEFAULT_MAX_EFFECT_NODES,
  DEFAULT_REPAIR_ROUNDS,
} from "../../prune/config.js";
import { PRUNE_METHODS } from "../../prune/prune.js";
import { stderrProgress } from "../../io/progress.js";
import { PRUNE_JOB_DEFAULTS, runPrune } from "../../prune/run.js";
import { CONTROLS } from "../../circuit/setup.js";

export interface PruneFlags {
  model: string;
  task: string;
  out: string;
  tokenizer?: string;
  targetLoss?: string;
  ablation?: string;
  method?: string;
  search?: string;
  seed?: string;
  steps?: string;
  batch?: string;
  evalPairs?: string;
  effectsPairs?: string;
  maxEffectNodes?: string;
  repairRounds?: string;
  confidence?: string;
  control?: string;
  compareAblations?: boolean;
  kCoef?: string;
  lr?: string;
  initNoiseScale?: string;
  initNoiseBias?: string;
  wd?: string;
  invBeta2?: string;
  lrWarmupFrac?: string;
  heavisideTemp?: string;
  quiet?: boolean;
}

/** commander's camelCase property of a prune setting's flag (`eval_pairs` → `evalPairs`). */
const flagProperty = (key: PruneSettingKey) =>
  key.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()) as keyof PruneFlags;

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x));

/** `csp prune`: finds and writes a task's circuit; returns the summary lines. */
export function pruneCommand(f: PruneFlags): string {
  const settings = pruneSettings(
    (key) => f[flagProperty(key)] as string | undefined,
    (key) => `--${key.replace(/_/g, "-")}`,
  );
  const result = runPrune({
    modelDir: f.model,
    taskPath: f.task,
    out: f.out,
    tokenizerDir: f.tokenizer,
    targetLoss: numFlag("--target-loss", f.targetLoss, PRUNE_JOB_DEFAULTS.targetLoss, {
      min: 0,
      minExclusive: true,
    }),
    ablation: choiceFlag("--ablation", f.ablation, ABLATION_KINDS, PRUNE_JOB_DEFAULTS.ablation),
    method: choiceFlag("--method", f.method, PRUNE_METHODS, PRUNE_JOB_DEFAULTS.method),
    ...settings,
    control: choiceFlag("--control", f.control, CONTROLS, undefined),
    compareAblations: f.compareAblations,
    progress: stderrProgress({ quiet: f.quiet }),
  });
  const c = result.circuit;
  const control = c.control ? ` [control: ${c.control.kind}]` : "";
  const comparison = (result.comparison ?? []).map(
    (row) =>
      `  ablation ${row.ablation.padEnd(8)} ${row.reached ? "reached    " : "NOT reached"} ` +
      `${row.num_nodes} nodes, circuit loss ${fmt(row.loss_circuit)} (full ${fmt(row.loss_full)})`,
  );
  return [
    `wrote ${f.out}: ${c.num_nodes}/${c.total_nodes} nodes, ${c.num_edges} edges; ` +
      `loss full ${fmt(c.loss_full)}, circuit ${fmt(c.loss_circuit)}, calibrated ${fmt(c.loss_calibrated)}; ` +
      `target ${c.target_loss} ${c.reached ? "reached" : "NOT reached"}${control} (${result.seconds.toFixed(1)}s)`,
    ...comparison,
  ].join("\n");
}

export function registerPrune(program: Command): void {
  const d = DEFAULT_MASK_TRAIN;
  program
    .command("prune")
    .description("find a task's circuit: learned node masks, bisection to the target loss, logit calibration")
    .option(
      "--model <dir>",
      "checkpoint directory (with means.safetensors for mean/resample ablation)",
      DEFAULT_MODEL_DIR,
    )
    .requiredOption("--task <file>", "task JSONL (minimal pairs)")
    .requiredOption("--out <file>", "circuit file to write (JSON)")
    .option(
      "--target-loss <x>",
      "mean per-sequence task loss the circuit must reach",
      String(PRUNE_JOB_DEFAULTS.targetLoss),
    )
    .option(
      "--ablation <kind>",
      `what pruned nodes become: ${ABLATION_KINDS.join(" | ")}`,
      PRUNE_JOB_DEFAULTS.ablation,
    )
    .option("--method <m>", `node ranking: ${PRUNE_METHODS.join(" | ")}`, PRUNE_JOB_DEFAULTS.method)
    .option("--search <n>", "random hyperparameter search trials around Table 2 (0: one run)", "0")
    .option("--seed <s>", "seed of everything random", "0")
    .option("--steps <n>", "mask optimiser steps per run", String(d.steps))
    .option("--batch <n>", "task pairs per step", String(d.batch_pairs))
    .option("--eval-pairs <n>", "training pairs the bisection and losses use", String(DEFAULT_EVAL_PAIRS))
    .option("--effects-pairs <n>", "pairs for node and layer effects", String(DEFAULT_EFFECTS_PAIRS))
    .option(
      "--max-effect-nodes <n>",
      "skip per-node effects above this many circuit nodes",
      String(DEFAULT_MAX_EFFECT_NODES),
    )
    .option(
      "--repair-rounds <n>",
      "times the node the bisection stopped at is moved to the front and k bisected again",
      String(DEFAULT_REPAIR_ROUNDS),
    )
    .option(
      "--confidence <z>",
      "margin: accept k when the mean loss plus z standard errors (over the evaluation pairs) is at most the target",
      String(DEFAULT_CONFIDENCE),
    )
    .option("--control <kind>", `faithfulness control: ${CONTROLS.join(" | ")}`)
    .option(
      "--compare-ablations",
      "also prune with the other ablation types and report which reach the target",
    )
    .option("--k-coef <x>", "weight of the node count", String(d.k_coef))
    .option("--lr <x>", "peak learning rate", String(d.lr))
    .option("--init-noise-scale <x>", "std of the initial mask logits", String(d.init_noise_scale))
    .option("--init-noise-bias <x>", "mean of the initial mask logits", String(d.init_noise_bias))
    .option("--wd <x>", "AdamW weight decay", String(d.wd))
    .option("--inv-beta2 <x>", "1 − Adam β2", String(d.inv_beta2))
    .option("--lr-warmup-frac <x>", "warmup fraction", String(d.lr_warmup_frac))
    .option("--heaviside-temp <x>", "surrogate temperature", String(d.heaviside_temp))
    .option("--tokenizer <dir>", "tokenizer directory (default: found next to the model)")
    .option("--quiet", "no progress output")
    .action((f: PruneFlags) => console.log(pruneCommand(f)));
}
