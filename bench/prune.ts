// Pruning benchmark: `csp prune`'s work on the budget model of the pruning brief (4 layers, d_model 256,
// d_mlp 1024, 16 heads × 16, vocab 2048, AbsTopK 0.25 on all eight locations) with a planted circuit,
// task prompts of 24–64 tokens, the default settings of `csp prune`. Prints the time of every
// phase, the circuit found and whether it is the planted one, and the machine's load (timings on a
// loaded machine are not comparable).
// Run: `npx tsc -p tsconfig.json && node dist/bench/prune.js [steps] [batchPairs] [trainPairs] [method]`.
import { availableParallelism, cpus, loadavg } from "node:os";
import { getBackend } from "../src/backend/index.js";
import { constantBaselines } from "../src/circuit/ablation.js";
import {
  DEFAULT_EFFECTS_PAIRS,
  DEFAULT_EVAL_PAIRS,
  DEFAULT_MASK_TRAIN,
  DEFAULT_MAX_EFFECT_NODES,
  DEFAULT_REPAIR_ROUNDS,
} from "../src/prune/config.js";
import { frozenModel } from "../src/circuit/masked_run.js";
import { computeMeans } from "../src/circuit/means.js";
import { rankNodes } from "../src/prune/bisect.js";
import { nodeLabel, nodeLayout } from "../src/circuit/nodes.js";
import type { ProgressFactory } from "../src/io/progress.js";
import { pruneTask, type PruneMethod } from "../src/prune/prune.js";
import {
  PLANTED_ESSENTIAL_NODES,
  plantedModel,
  plantedPairs,
  randomWindows,
} from "../src/prune/synthetic.js";
import { pairSequences } from "../src/circuit/task_data.js";

const steps = Number(process.argv[2] ?? DEFAULT_MASK_TRAIN.steps);
const method = (process.argv[5] ?? "learned") as PruneMethod;
const batchPairs = Number(process.argv[3] ?? DEFAULT_MASK_TRAIN.batch_pairs);
const trainPairs = Number(process.argv[4] ?? 256);

const vocab = 2048;
const model = plantedModel({
  nLayer: 4,
  dModel: 256,
  nHead: 16,
  dHead: 16,
  dMlp: 1024,
  vocab,
  blockSize: 64,
  afrac: 0.25,
  noiseDensity: 1 / 16,
  noiseScale: 0.3,
  logitGain: 1,
  seed: 1,
});
const layout = nodeLayout(model.dims);
/** Flat node number of "site:index". */
const flat = (label: string) => {
  const [site, index] = label.split(":");
  return layout.byName.get(site)!.offset + Number(index);
};
const fillers = Array.from({ length: vocab - 5 }, (_, i) => i + 5);
const pairs = plantedPairs({ count: trainPairs, minLen: 24, maxLen: 64, fillers, seed: 2 });
const train = pairSequences(pairs);

/** CPU seconds (user + system, all threads) since `from`. */
const cpuSince = (from: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1e6;
};
const phases: { label: string; seconds: number; cpu: number }[] = [];
const timing: ProgressFactory = (label) => {
  const started = performance.now();
  const cpu = process.cpuUsage();
  return {
    update() {},
    stop() {
      phases.push({ label, seconds: (performance.now() - started) / 1000, cpu: cpuSince(cpu) });
    },
  };
};

const load = loadavg()[0];
console.log(
  `machine: ${cpus()[0]?.model ?? "?"}, ${availableParallelism()} threads, load ${load.toFixed(2)}, backend ${getBackend().name}`,
);
console.log(
  `model: 4 layers, d_model 256, d_mlp 1024, ${layout.total} nodes; task: ${trainPairs} train pairs, 24–64 tokens; ` +
    `steps ${steps}, batch ${batchPairs} pairs`,
);
let t = performance.now();
const cpuStart = process.cpuUsage();
const windows = randomWindows(vocab, 64, 64, 3);
const means = computeMeans(model, layout, windows, 64);
const meansSeconds = (performance.now() - t) / 1000;
t = performance.now();
const outcome = pruneTask(
  { model, frozen: frozenModel(model), layout, baselines: constantBaselines("mean", means) },
  train,
  {
    method,
    targetLoss: 0.15,
    mask: { ...DEFAULT_MASK_TRAIN, steps, batch_pairs: batchPairs },
    search: 0,
    evalPairs: DEFAULT_EVAL_PAIRS,
    effectsPairs: DEFAULT_EFFECTS_PAIRS,
    maxEffectNodes: DEFAULT_MAX_EFFECT_NODES,
    repairRounds: DEFAULT_REPAIR_ROUNDS,
    progress: timing,
  },
);
const total = (performance.now() - t) / 1000;
console.log(`means (64 × 64 tokens): ${meansSeconds.toFixed(1)}s`);
for (const p of phases) console.log(`${p.label}: ${p.seconds.toFixed(1)}s wall, ${p.cpu.toFixed(1)}s CPU`);
console.log(
  `prune total: ${total.toFixed(1)}s wall, ${cpuSince(cpuStart).toFixed(1)}s CPU incl. means ` +
    `(${((phases[0]?.seconds ?? 0) / steps).toFixed(2)}s per step); load now ${loadavg()[0].toFixed(2)}`,
);
const nodes: string[] = [];
for (let i = 0; i < layout.total; i++) if (outcome.keep[i]) nodes.push(nodeLabel(layout, i));
console.log(
  `circuit: ${outcome.k}/${layout.total} nodes, loss full ${outcome.lossFull.toFixed(4)}, circuit ${outcome.lossCircuit.toFixed(4)}, ` +
    `calibrated ${outcome.lossCalibrated.toFixed(4)}, reached ${outcome.reached}`,
);
const trial = outcome.trials[outcome.bestTrial];
const bisection = trial.bisection.map((b) => `${b.k}:${b.loss.toFixed(3)}`).join(" ");
console.log(`trained kept ${trial.trainedKept ?? "-"}; bisection (k:loss) ${bisection}`);
const every = Math.max(1, Math.floor(trial.curve.length / 16));
const curve = trial.curve.filter((_, i) => i % every === 0).map((c) => `${c.loss.toFixed(3)}/${c.kept}`);
if (curve.length > 0) console.log(`training (batch loss/kept every ${every} steps): ${curve.join(" ")}`);
const rank = new Map(Array.from(rankNodes(outcome.scores), (node, r) => [node, r]));
const where = PLANTED_ESSENTIAL_NODES.map(
  (n) => `${n} #${rank.get(flat(n))} (${outcome.scores[flat(n)].toFixed(3)})`,
);
console.log(`promoted by repair: ${trial.promoted.map((n) => nodeLabel(layout, n)).join(", ") || "none"}`);
console.log(`planted nodes' rank (score): ${where.join(", ")}`);
console.log(
  `planted nodes missing: ${PLANTED_ESSENTIAL_NODES.filter((n) => !nodes.includes(n)).join(", ") || "none"}`,
);
console.log(
  `nodes: ${nodes.slice(0, 40).join(" ")}${nodes.length > 40 ? ` … (${nodes.length - 40} more)` : ""}`,
);
