import type { Command } from "commander";
import { DEFAULT_MODEL_DIR } from "../../model/default_model.js";
import { evaluateCircuitFile } from "../../circuit/evaluate.js";
import { checkCircuitFits, readCircuit } from "../../circuit/read.js";
import { intFlag } from "../../flag_values.js";
import { stderrProgress, type Progress } from "../../io/progress.js";
import { weightsHash } from "../../model/model_hash.js";
import { setupPrune } from "../../circuit/setup.js";

export interface EvaluateFlags {
  model: string;
  circuit: string;
  task: string;
  tokenizer?: string;
  seed?: string;
  json?: boolean;
  quiet?: boolean;
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x));

/** `csp evaluate`: a circuit's sufficiency and necessity on the test split; returns what it prints. */
export function evaluateCommand(f: EvaluateFlags): string {
  const result = evaluateOnTestSplit(f);
  return f.json ? JSON.stringify(result) : formatEvaluation(result);
}

/** What `csp evaluate --json` prints. */
export type TestSplitEvaluation = ReturnType<typeof evaluateOnTestSplit>;

/** The circuit file evaluated on its task's test split (sufficiency, necessity, full and empty model). */
export function evaluateOnTestSplit(f: EvaluateFlags) {
  const seed = intFlag("--seed", f.seed, 0, { min: 0 });
  const circuit = readCircuit(f.circuit);
  const progress = stderrProgress({ quiet: f.quiet || f.json });
  let meansBar: Progress | undefined;
  const setup = setupPrune({
    modelDir: f.model,
    taskPath: f.task,
    tokenizerDir: f.tokenizer,
    ablation: circuit.ablation,
    control: circuit.control,
    onMeansProgress: (done, total) => {
      meansBar ??= progress("random-init means", total);
      meansBar.update(done);
    },
  });
  meansBar?.stop();
  checkCircuitFits(circuit, setup.model, setup.layout, f.circuit);
  if (circuit.model.weights_hash !== weightsHash(setup.model))
    console.error(`csp: note: ${f.circuit}: the circuit was found on other weights of the same shape`);
  if (circuit.task.hash !== setup.taskHash)
    console.error(
      `csp: note: ${f.circuit}: the circuit was found on another task file (${circuit.task.path})`,
    );
  const bar = progress("evaluate (test split)", 4);
  const ev = evaluateCircuitFile(setup, circuit, "test", seed, (d) => bar.update(d));
  bar.stop();
  const result = {
    circuit: f.circuit,
    task: setup.task.name,
    split: "test",
    ablation: circuit.ablation,
    control: circuit.control,
    ...ev,
    target_loss: circuit.target_loss,
    sufficient: ev.loss_circuit <= circuit.target_loss,
    nodes: circuit.num_nodes,
    total_nodes: circuit.total_nodes,
    edges: circuit.num_edges,
  };
  return result;
}

/** The human-readable form of an evaluation. */
export function formatEvaluation(r: TestSplitEvaluation): string {
  return [
    `${r.circuit} on ${r.task} (test, ${r.sequences} sequences, ${r.ablation} ablation): ` +
      `${r.nodes}/${r.total_nodes} nodes, ${r.edges} edges`,
    `  full model            loss ${fmt(r.loss_full)}  accuracy ${fmt(r.accuracy_full)}`,
    `  circuit only          loss ${fmt(r.loss_circuit)}  accuracy ${fmt(r.accuracy_circuit)}  (calibrated ${fmt(r.loss_calibrated)}; target ${r.target_loss})`,
    `  circuit ablated       loss ${fmt(r.loss_circuit_ablated)}  accuracy ${fmt(r.accuracy_circuit_ablated)}`,
    `  everything ablated    loss ${fmt(r.loss_empty)}`,
  ].join("\n");
}

export function registerEvaluate(program: Command): void {
  program
    .command("evaluate")
    .description("test-split sufficiency (circuit alone) and necessity (circuit ablated) of a circuit")
    .option("--model <dir>", "checkpoint directory", DEFAULT_MODEL_DIR)
    .requiredOption("--circuit <file>", "circuit file written by csp prune")
    .requiredOption("--task <file>", "task JSONL")
    .option("--tokenizer <dir>", "tokenizer directory (default: found next to the model)")
    .option("--seed <s>", "seed of resample ablation draws", "0")
    .option("--json", "print the results as one JSON object")
    .option("--quiet", "no progress output")
    .action((f: EvaluateFlags) => console.log(evaluateCommand(f)));
}
