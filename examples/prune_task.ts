// Generate a small task, prune its circuit on the bundled model, and write the circuit file. The
// settings are cut down to run in seconds; `csp prune`'s defaults (PRUNE_JOB_DEFAULTS, 200 mask steps)
// find smaller circuits.
//
//   npm run build && node dist/examples/prune_task.js [circuit.json]
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DEFAULT_MODEL_DIR,
  PRUNE_JOB_DEFAULTS,
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

// csp prune's defaults, cut down: fewer mask steps, pairs and effect measurements.
const { circuit, seconds } = runPrune({
  ...PRUNE_JOB_DEFAULTS,
  modelDir: DEFAULT_MODEL_DIR,
  taskPath,
  out,
  mask: { ...PRUNE_JOB_DEFAULTS.mask, steps: 32, batch_pairs: 8 },
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
