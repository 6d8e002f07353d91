// Load a circuit file and evaluate it on its task's test split: the loss with only the circuit kept
// (sufficiency), with only the circuit ablated (necessity), and with everything kept or ablated.
//
//   npm run build && node dist/examples/prune_task.js circuit.json
//   node dist/examples/evaluate_circuit.js circuit.json [task.jsonl]
import { dirname, resolve } from "node:path";
import {
  DEFAULT_MODEL_DIR,
  checkCircuitFits,
  evaluateCircuitFile,
  readCircuit,
  setupPrune,
} from "circuit-sparsity";

const circuitPath = process.argv[2];
if (!circuitPath) {
  console.error("usage: node dist/examples/evaluate_circuit.js CIRCUIT.json [TASK.jsonl]");
  process.exit(2);
}
const circuit = readCircuit(circuitPath);
// The task file the circuit was pruned on (csp prune writes its path relative to the circuit file),
// unless another one is given.
const taskPath = process.argv[3] ?? resolve(dirname(circuitPath), circuit.task.path);

const setup = setupPrune({
  modelDir: DEFAULT_MODEL_DIR,
  taskPath,
  ablation: circuit.ablation,
  control: circuit.control,
});
checkCircuitFits(circuit, setup.model, setup.layout, circuitPath);
const ev = evaluateCircuitFile(setup, circuit, "test", 0);

const row = (what: string, loss: number, accuracy?: number) =>
  console.log(
    `  ${what.padEnd(18)} loss ${loss.toFixed(4)}${accuracy === undefined ? "" : `  accuracy ${accuracy.toFixed(3)}`}`,
  );
console.log(
  `${circuit.num_nodes}-node circuit on ${setup.task.name}, test split (${ev.sequences} sequences):`,
);
row("everything kept", ev.loss_full, ev.accuracy_full);
row("circuit only", ev.loss_circuit, ev.accuracy_circuit);
row("circuit ablated", ev.loss_circuit_ablated, ev.accuracy_circuit_ablated);
row("everything ablated", ev.loss_empty);
console.log(
  `sufficient (circuit only <= target ${circuit.target_loss}): ${ev.loss_circuit <= circuit.target_loss}`,
);
