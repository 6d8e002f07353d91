// Generate a small task, prune its circuit on the bundled model, and write the circuit file. The
// settings are cut down to run in seconds; `csp prune`'s defaults (DEFAULT_MASK_TRAIN, 200 steps) find
// smaller circuits.
//
//   npm run build && node dist/examples/prune_task.js [circuit.json]
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DEFAULT_MASK_TRAIN,
  DEFAULT_MODEL_DIR,
  TASK_GENERATORS,
  loadTokenizer,
  runPrune,
  writeTaskJsonl,
} from "circuit-sparsity";

const work = mkdtempSync(join(tmpdir(), "csp-example-"));
const out = process.argv[2] ?? join(work, "while_return_true.circuit.json");

// 40 minimal pairs ("while True" → ":\n" vs "return True" → "\n"); the last 20% are the test split.
const taskPath = join(work, "while_return_true.jsonl");
const tokenizer = loadTokenizer(DEFAULT_MODEL_DIR);
writeTaskJsonl(taskPath, TASK_GENERATORS.while_return_true.generate(40, { seed: 0, tokenizer }));

const { circuit, seconds } = runPrune({
  modelDir: DEFAULT_MODEL_DIR,
  taskPath,
  out,
  targetLoss: 0.15,
  ablation: "mean",
  method: "learned",
  mask: { ...DEFAULT_MASK_TRAIN, steps: 32, batch_pairs: 8 },
  search: 0,
  evalPairs: 16,
  effectsPairs: 4,
  maxEffectNodes: 0,
  repairRounds: 0,
});

console.log(`task: ${taskPath}`);
console.log(`circuit: ${out}`);
console.log(
  `${circuit.num_nodes} of ${circuit.total_nodes} nodes, ${circuit.num_edges} edges; ` +
    `loss full ${circuit.loss_full.toFixed(4)}, circuit ${circuit.loss_circuit.toFixed(4)} ` +
    `(target ${circuit.target_loss} ${circuit.reached ? "reached" : "not reached"}) in ${seconds.toFixed(1)} s`,
);
