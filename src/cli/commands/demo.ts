import { spawnSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { CspError } from "../../errors.js";

/** The demo's built-in tasks: the ones a small two-layer model learns from the standard library. */
export const DEMO_TASKS = ["single_double_quote", "for_while", "else_elif", "while_return_true"] as const;

const CLI = fileURLToPath(new URL("../main.js", import.meta.url));

export interface DemoOptions {
  out: string;
  preset: string;
  steps?: string;
  pairs: string;
  tasks: string[];
  view: boolean;
  port: string;
  pruneSteps?: string;
  /** Python files or directories to train on and average means over (default: the standard library). */
  corpus?: string[];
}

/** Runs one `csp` subcommand in a child process (its progress bars stay on this terminal). */
function step(title: string, args: string[]): void {
  console.error(`\n== ${title}\n   csp ${args.join(" ")}`);
  const r = spawnSync(process.execPath, [CLI, ...args], { stdio: "inherit" });
  if (r.status !== 0)
    throw new CspError(`demo step "${title}" failed (csp ${args[0]} exited with ${r.status ?? r.signal})`);
}

/**
 * `csp demo`: tokenizer + small weight-sparse model on the default corpus (resumable), task files,
 * node means, one circuit per task, an evaluation of each, then the viewer on the circuits.
 */
export function runDemo(o: DemoOptions): string[] {
  const out = resolve(o.out);
  const model = join(out, "model");
  mkdirSync(out, { recursive: true });
  const train = ["train", "--preset", o.preset, "--out", model];
  if (o.steps) train.push("--steps", o.steps);
  // The same corpus for training and for the means, so the means describe the text the model saw.
  const corpus = o.corpus?.length ? ["--corpus", ...o.corpus.map((p) => resolve(p))] : [];
  step(`train a ${o.preset} weight-sparse model (resumes if interrupted)`, [...train, ...corpus]);
  step("mean activations over pretraining text", ["means", "--model", model, ...corpus, "--quiet"]);
  const circuits: string[] = [];
  for (const task of o.tasks) {
    const taskFile = join(out, "tasks", `${task}.jsonl`);
    step(`task ${task}`, [
      "tasks",
      "make",
      task,
      "--n",
      o.pairs,
      "--tokenizer",
      join(model, "tokenizer"),
      "--out",
      taskFile,
    ]);
    const circuit = join(out, "circuits", `${task}.json`);
    const prune = ["prune", "--model", model, "--task", taskFile, "--out", circuit];
    if (o.pruneSteps) prune.push("--steps", o.pruneSteps);
    step(`prune ${task}`, prune);
    step(`evaluate ${task} on its test split`, [
      "evaluate",
      "--model",
      model,
      "--circuit",
      circuit,
      "--task",
      taskFile,
    ]);
    circuits.push(circuit);
  }
  return circuits;
}

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description(
      "the whole pipeline on the default corpus: train a small sparse model, prune circuits, open the viewer",
    )
    .option("--out <dir>", "where the run goes", "runs/demo")
    .option("--preset <name>", "model preset (tiny | small | bench)", "small")
    .option("--steps <n>", "training steps (default: the preset's)")
    .option("--pairs <n>", "task pairs generated per task", "160")
    .option("--tasks <names...>", "built-in tasks to prune", [...DEMO_TASKS])
    .option("--prune-steps <n>", "mask optimiser steps per circuit (default: csp prune's)")
    .option("--corpus <paths...>", "Python files or directories (default: the Python standard library)")
    .option("--no-view", "do not start the viewer at the end")
    .option("--port <n>", "viewer port", "8642")
    .action((o: DemoOptions) => {
      const circuits = runDemo(o);
      const model = join(resolve(o.out), "model");
      console.log(`model: ${model}`);
      for (const c of circuits) {
        const summary = JSON.parse(readFileSync(c, "utf8")) as {
          num_nodes?: number;
          total_nodes?: number;
          loss_circuit?: number;
        };
        console.log(
          `circuit: ${c} (${summary.num_nodes} of ${summary.total_nodes} nodes, loss ${summary.loss_circuit?.toFixed(4)})`,
        );
      }
      if (!o.view) return;
      if (!existsSync(CLI)) throw new CspError(`${CLI}: missing; run npm install`);
      console.error(`\n== viewer (Ctrl-C to stop)`);
      spawn(process.execPath, [CLI, "view", ...circuits, "--model", model, "--port", o.port], {
        stdio: "inherit",
      });
    });
}
