// Forward time of a weight-sparse model on the sparse weight path vs the dense path, both native.
// Run: `npx tsx bench/sparse_forward.ts` (or `npm run build && node dist/bench/sparse_forward.js`).
// Model: 4 layers, d_model 512, d_mlp 2048, 8 heads, vocab 2048, linear weights (and lm_head) at 1/64
// density (seeded); input 8×256 tokens. Prints the machine, the command, and per path the median
// forward time plus the share spent in the linear layers' kernels (gemm / spmmNT), which is what the
// sparse path changes; attention, norms and GELU are the same on both paths.
import type { Backend } from "../src/backend/backend.js";
import { loadNativeBackend, nativeThreads } from "../src/backend/native.js";
import { DEFAULT_CONFIG, type GPTConfig } from "../src/model/config.js";
import { forward } from "../src/model/gpt.js";
import { createModel } from "../src/model/model.js";
import { linearWeightNames } from "../src/model/sparse_weights.js";
import { parameterSpecs } from "../src/model/params.js";
import { modelDims } from "../src/model/config.js";
import { formatMachine, machineInfo } from "./common/machine.js";
import { Rng } from "../src/random/rng.js";

const DENSITY = 1 / 64;
const BATCH = 8;
const TOKENS = 256;
const REPEATS = 5;

/** Uniform numbers in [0, 1) from a seed. */
function seeded(seed: number): () => number {
  const source = new Rng(seed);
  return () => source.uniform32();
}

function main(): void {
  const native = loadNativeBackend();
  if (!native.backend) throw new Error(`native backend unavailable: ${native.error}`);
  const config: GPTConfig = {
    ...DEFAULT_CONFIG,
    block_size: TOKENS,
    vocab_size: 2048,
    n_layer: 4,
    n_head: 8,
    d_model: 512,
    d_mlp: 2048,
    rms_norm: true,
    tied_unembed: false,
    grad_checkpointing: false,
  };
  const dims = modelDims(config);
  const rand = seeded(1);
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const spec of parameterSpecs(config, dims)) {
    const size = spec.shape.reduce((p, q) => p * q, 1);
    tensors.set(spec.name, { shape: spec.shape, data: new Float32Array(size) });
  }
  const model = createModel(config, tensors, "bench", (n) => new Float32Array(n));
  const linear = new Set(linearWeightNames(model));
  let nnz = 0;
  let numel = 0;
  for (const [name, t] of model.params) {
    const d = t.data;
    if (name.endsWith(".bias")) continue;
    if (/ln_|ln_f/.test(name)) {
      d.fill(1);
      continue;
    }
    const scale = 1 / Math.sqrt(t.shape[t.shape.length - 1]);
    for (let i = 0; i < d.length; i++) {
      if (linear.has(name) && rand() >= DENSITY) continue;
      d[i] = (2 * rand() - 1) * scale * (linear.has(name) ? 8 : 1);
    }
    if (linear.has(name)) {
      numel += d.length;
      for (const v of d) if (v !== 0) nnz++;
    }
  }
  const ids = new Int32Array(BATCH * TOKENS);
  for (let i = 0; i < ids.length; i++) ids[i] = Math.floor(rand() * config.vocab_size);

  const linearSeconds = { value: 0 };
  const base = native.backend;
  const timed: Backend = {
    ...base,
    gemm: (...a) => {
      const t0 = performance.now();
      base.gemm(...a);
      linearSeconds.value += (performance.now() - t0) / 1000;
    },
    spmmNT: (...a) => {
      const t0 = performance.now();
      base.spmmNT(...a);
      linearSeconds.value += (performance.now() - t0) / 1000;
    },
  };

  console.log(`machine: ${formatMachine(machineInfo())}; native threads ${nativeThreads()}`);
  console.log(`command: ${process.argv.map((a) => a.split("/").slice(-2).join("/")).join(" ")}`);
  console.log(
    `model: 4 layers, d_model 512, d_mlp 2048, vocab 2048; linear weights ${nnz} / ${numel} nonzero ` +
      `(${((100 * nnz) / numel).toFixed(3)}%); input ${BATCH}×${TOKENS} tokens`,
  );
  const results: Record<string, { total: number; linear: number; logits: Float32Array }> = {};
  for (const [label, sparseThreshold] of [
    ["dense", 0],
    ["sparse", 1],
  ] as const) {
    const totals: number[] = [];
    const linears: number[] = [];
    let logits: Float32Array = new Float32Array(0);
    for (let r = 0; r < REPEATS + 1; r++) {
      linearSeconds.value = 0;
      const t0 = performance.now();
      const out = forward(model, ids, BATCH, TOKENS, { backend: timed, sparseThreshold });
      const total = (performance.now() - t0) / 1000;
      logits = out.logits.data as Float32Array;
      if (r === 0) continue; // warm-up (and, on the sparse path, the one-off CSR build)
      totals.push(total);
      linears.push(linearSeconds.value);
    }
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    results[label] = { total: median(totals), linear: median(linears), logits };
    console.log(
      `${label.padEnd(6)} path: forward ${(1000 * median(totals)).toFixed(1)} ms (median of ${REPEATS}), ` +
        `of which linear layers ${(1000 * median(linears)).toFixed(1)} ms`,
    );
  }
  const { dense, sparse } = results;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < dense.logits.length; i++) {
    diff = Math.max(diff, Math.abs(dense.logits[i] - sparse.logits[i]));
    scale = Math.max(scale, Math.abs(dense.logits[i]));
  }
  console.log(
    `speedup: forward ×${(dense.total / sparse.total).toFixed(2)}, linear layers ×${(dense.linear / sparse.linear).toFixed(2)}; ` +
      `logits max rel diff ${(diff / scale).toExponential(2)}`,
  );
}

main();
