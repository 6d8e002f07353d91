import type { Command } from "commander";
import { steerFromRequest, type SteerReport } from "../../circuit/steer_request.js";
import { CspError } from "../../errors.js";
import { numFlag } from "../../flag_values.js";

export interface SteerFlags {
  model: string;
  dense: string;
  node: string;
  circuit?: string;
  prompt?: string;
  task?: string;
  split?: string;
  counterfactual?: string;
  value?: string;
  candidates?: string[];
  strength: string;
  json?: boolean;
}

/** Parses "0,0.25,0.5,1". */
export function parseStrengths(text: string): number[] {
  const parts = text.split(",");
  return parts.map((p) => numFlag("--strength", p, 0));
}

/** `csp steer`: the report as JSON, or a table of mean candidate probabilities per strength. */
export function steerCommand(f: SteerFlags): string {
  if (f.strength.trim() === "") throw new CspError('--strength: expected numbers such as "0,0.25,0.5,1"');
  const report = steerFromRequest({
    model: f.model,
    dense: f.dense,
    node: f.node,
    circuit: f.circuit,
    prompt: f.prompt,
    task: f.task,
    split: f.split,
    counterfactual: f.counterfactual,
    value: numFlag("--value", f.value, undefined),
    candidates: f.candidates,
    strengths: parseStrengths(f.strength),
  });
  return f.json ? JSON.stringify(report) : formatReport(report);
}

function formatReport(r: SteerReport): string {
  const names =
    r.candidates[0].length === 2 && r.examples > 1
      ? ["P(prompt's answer)", "P(counterfactual's answer)"]
      : r.candidates[0].map((c) => `P(${JSON.stringify(c)})`);
  const lines = [`node ${r.node}: ${r.examples} example(s), mean |delta| ${r.meanAbsDelta.toFixed(4)}`];
  lines.push(["strength", ...names.map((n) => `dense ${n}`), ...names.map((n) => `sparse ${n}`)].join("\t"));
  r.strengths.forEach((s, i) => {
    const cells = [...r.denseMean[i], ...r.sparseMean[i]].map((p) => p.toPrecision(4));
    lines.push([String(s), ...cells].join("\t"));
  });
  return lines.join("\n");
}

export function registerSteer(program: Command): void {
  program
    .command("steer")
    .description(
      "steer a dense model through the bridges of a bridged sparse model (paper §2.3, Fig. 9; docs/bridges.md)",
    )
    .requiredOption("--model <dir>", "the bridged sparse model (holds bridges.safetensors)")
    .requiredOption("--dense <dir>", "the dense model the bridges were trained against")
    .requiredOption("--node <site:index>", "the sparse node to move, e.g. 1.attn.act_in:5")
    .option("--circuit <file>", "a circuit file of the sparse model: refuse a node that is not in it")
    .option("--prompt <text>", "the presented prompt")
    .option("--task <file>", "task JSONL: each pair steers A toward B and B toward A")
    .option("--split <name>", "with --task: the split to use", "test")
    .option("--counterfactual <text>", "with --prompt: the node's target is its activation on this text")
    .option("--value <v>", "with --prompt: the node's target activation")
    .option("--candidates <tokens...>", "with --prompt: tokens whose probabilities are printed")
    .option("--strength <list>", "comma-separated steering strengths", "0,0.25,0.5,1")
    .option("--json", "print the whole report as JSON")
    .action((f: SteerFlags) => console.log(steerCommand(f)));
}
