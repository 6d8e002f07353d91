import type { Command } from "commander";
import { checkCircuitFits, parseCircuit } from "../../circuit/read.js";
import { importVizCircuit, type ImportedCircuit } from "../../circuit/import_viz.js";
import { nodeLayout } from "../../circuit/nodes.js";
import { loadModel } from "../../model/checkpoint.js";
import { formatCircuitJson, withPathsRelativeTo, writeCircuit } from "../../prune/circuit_file.js";

export interface ImportVizCommandOptions {
  viz: string;
  model: string;
  out: string;
  task?: string;
}

/**
 * Imports a reference viz_data.pt as our circuit file at `out` (atomically), after checking that the
 * result reads back as a circuit of the model, as `csp view` and `csp evaluate` will read it.
 */
export function importVizToFile(opts: ImportVizCommandOptions): ImportedCircuit {
  const circuit = importVizCircuit({ viz: opts.viz, model: opts.model, task: opts.task });
  const text = formatCircuitJson(circuit);
  const model = loadModel(opts.model);
  checkCircuitFits(parseCircuit(JSON.parse(text), opts.out), model, nodeLayout(model.dims), opts.out);
  // model.path and task.path relative to the file, as csp prune writes them (an absent task stays "").
  writeCircuit(opts.out, withPathsRelativeTo(opts.out, circuit));
  return circuit;
}

export function registerImportViz(program: Command): void {
  program
    .command("import-viz")
    .description("turn a circuit of OpenAI's visualiser (viz_data.pt) into a circuit file for csp view")
    .argument("<viz_data>", "viz_data.pt (viz/<model>/<task>/<sweep>/<k>/viz_data.pt of the public bucket)")
    .requiredOption(
      "--model <dir>",
      "checkpoint directory of the model the circuit belongs to (csp convert of it)",
    )
    .requiredOption("--out <file>", "circuit file to write (JSON)")
    .option("--task <file>", "task file (JSONL) to tie the circuit to, for live evaluation in csp view")
    .action((viz: string, opts: { model: string; out: string; task?: string }) => {
      const c = importVizToFile({ viz, ...opts });
      console.log(formatImportSummary(opts.out, c));
    });
}

export function formatImportSummary(out: string, c: ImportedCircuit): string {
  const lines = [
    `wrote ${out}: ${c.num_nodes} nodes, ${c.num_edges} edges, ${Object.keys(c.pretraining_snippets).length} nodes with pretraining snippets`,
    `loss: full ${c.loss_full}, circuit (calibrated) ${c.loss_calibrated}`,
  ];
  for (const [field, how] of Object.entries(c.imported.filled)) lines.push(`note: ${field}: ${how}`);
  return lines.join("\n");
}
