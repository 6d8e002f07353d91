import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { CspError } from "../../errors.js";
import { TASK_GENERATORS } from "../../tasks/generators/registry.js";
import { writeTaskJsonl } from "../../tasks/jsonl.js";
import { loadTokenizer } from "../../tokenizer/index.js";
import { DEFAULT_MODEL_DIR } from "../../model/default_model.js";
import { MODEL_TOKENIZER_DIR } from "../../model/model_tokenizer.js";
import { intFlag, numFlag } from "../../flag_values.js";
import { setupPrune } from "../../circuit/setup.js";
import { fullTestLoss } from "../../circuit/evaluate.js";

/** Tokenizer of the bundled default model. */
export function defaultTokenizerDir(): string {
  return join(DEFAULT_MODEL_DIR, MODEL_TOKENIZER_DIR);
}

/** `csp tasks list`: one line per generator. */
export function formatTaskList(): string {
  const names = Object.keys(TASK_GENERATORS);
  const width = Math.max(...names.map((n) => n.length));
  return names.map((n) => `${n.padEnd(width)}  ${TASK_GENERATORS[n].description}`).join("\n");
}

export interface TasksMakeOptions {
  n: string | number;
  seed?: string | number;
  tokenizer?: string;
  out: string;
}

/**
 * `csp tasks make NAME`: generates n pairs and writes them atomically; returns the summary line.
 * `defaultDir` is the tokenizer used without --tokenizer (the default model's).
 */
export function tasksMake(name: string, opts: TasksMakeOptions, defaultDir = defaultTokenizerDir()): string {
  const generator = TASK_GENERATORS[name];
  if (generator === undefined)
    throw new CspError(`unknown task "${name}" (known: ${Object.keys(TASK_GENERATORS).join(", ")})`);
  const n = intFlag("--n", String(opts.n), 1);
  const seed = intFlag("--seed", opts.seed === undefined ? undefined : String(opts.seed), 0, {});
  let dir = opts.tokenizer;
  if (dir === undefined) {
    dir = defaultDir;
    if (!existsSync(dir))
      throw new CspError(
        `${dir}: the default model's tokenizer is not there; pass --tokenizer DIR (vocab.bpe + encoder.json)`,
      );
  }
  const tokenizer = loadTokenizer(dir);
  const lines = generator.generate(n, { seed, tokenizer });
  writeTaskJsonl(opts.out, lines);
  const test = lines.filter((l) => l.split === "test").length;
  const first = lines[0];
  return `wrote ${opts.out}: ${lines.length} ${name} pairs (${lines.length - test} train, ${test} test), targets ${JSON.stringify(first.a_next)} / ${JSON.stringify(first.b_next)}`;
}

export function registerTasks(program: Command): void {
  const tasks = program.command("tasks").description("binary next-token tasks for circuit pruning");
  tasks
    .command("list")
    .description("list the built-in task generators")
    .action(() => console.log(formatTaskList()));
  tasks
    .command("make")
    .description("generate a task file (JSONL, one minimal pair per line)")
    .argument("<name>", "task name (see `csp tasks list`)")
    .requiredOption("--n <count>", "number of pairs (the last 20% are the test split)")
    .option("--seed <int>", "random seed", "0")
    .option(
      "--tokenizer <dir>",
      "tokenizer directory (default: the default model's, models/default/tokenizer)",
    )
    .requiredOption("--out <file>", "task file to write")
    .action((name: string, opts: TasksMakeOptions) => console.log(tasksMake(name, opts)));
  tasks
    .command("loss")
    .description("the full model's task loss on the test split of each task file (has it learned them?)")
    .argument("<files...>", "task files (JSONL)")
    .option("--model <dir>", "checkpoint directory", DEFAULT_MODEL_DIR)
    .option("--target-loss <x>", "the loss below which a task counts as learned", "0.15")
    .option("--json", "one JSON object per task")
    .action((files: string[], opts: { model: string; targetLoss: string; json?: boolean }) => {
      const target = numFlag("--target-loss", opts.targetLoss, 0.15, { min: 0, minExclusive: true });
      for (const file of files) {
        // Nothing is ablated, so no means are needed: "zero" skips loading them.
        const setup = setupPrune({ modelDir: opts.model, taskPath: file, ablation: "zero" });
        const loss = fullTestLoss(setup);
        const row = {
          task: setup.task.name,
          file,
          loss_full: loss,
          learned: loss < target,
          test_sequences: setup.test.length,
        };
        console.log(
          opts.json
            ? JSON.stringify(row)
            : `${row.task}: ${loss.toFixed(4)} on ${row.test_sequences} test sequences (${row.learned ? "learned" : "not learned"})`,
        );
      }
    });
}
