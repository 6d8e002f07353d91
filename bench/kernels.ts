// Kernel benchmark: native vs TypeScript backend, dense GEMM, sparse CSR kernels, the native causal
// attention and the activations (AbsTopK, GELU). Run with `npm run bench:kernels` (builds, then runs
// dist/bench/kernels.js). Prints the machine, the command and a table; writes the same numbers to
// bench/kernels_results.json. Takes about a minute. `--only dense,sparse,attention,activations` runs
// only those sections and writes nothing (`--activations` = `--only activations`). The native build
// measured is CSP_ADDON_MARCH's (default: the default build), printed and recorded with the numbers.
//
// GFLOP/s is 2·(multiply-adds)/time: m·n·k for GEMM and, for the sparse kernels, the *useful*
// m·nnz (the dense-equivalent rate would be 1/density higher). Times are the median of repeated
// calls on seeded random data; "best" is the fastest call (less sensitive to other load).
// Attention GFLOP/s counts only the causal multiply-adds (j ≤ i): 4·dHead per (i, j) pair forward
// (q·k and p·v), 8·dHead backward (dp, dq, dk, dv); exps and the softmax come free.
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Backend } from "../src/backend/backend.js";
import { formatBuild, loadNativeBackend, nativeThreads } from "../src/backend/native.js";
import { tsBackend } from "../src/backend/ts/index.js";
import { writeFileAtomic } from "../src/io/atomic.js";
import type { CsrMatrix } from "../src/tensor/sparse.js";
import { Rng } from "../src/random/rng.js";

/** How long each measurement runs at least, and how many calls it makes at least. */
const MIN_SECONDS = 0.4;
const MIN_CALLS = 3;
/** The tokens per batch of the native sparse rows; TS runs fewer tokens so the bench stays short. */
const TOKENS_NATIVE = 2048;
const TOKENS_TS = 64;
const DENSITIES = [0.001, 0.01, 0.1];
/** Sparse weight shapes [out, in]: an attention-sized and an MLP-sized layer. */
const WEIGHT_SHAPES: [number, number][] = [
  [512, 2048],
  [2048, 8192],
];

interface Timing {
  /** Median seconds per call. */
  seconds: number;
  /** Fastest call, seconds. */
  bestSeconds: number;
  calls: number;
}

interface DenseRow {
  op: string;
  mode: string;
  backend: Backend["name"];
  m: number;
  n: number;
  k: number;
  gflops: number;
  bestGflops: number;
  seconds: number;
}

interface SparseRow {
  op: "spmmNT" | "spmmNN" | "sddmm";
  backend: Backend["name"];
  tokens: number;
  rows: number;
  cols: number;
  density: number;
  nnz: number;
  usefulGflops: number;
  bestUsefulGflops: number;
  seconds: number;
  /** Time of the same-shape dense GEMM on this backend over this kernel's time (native only). */
  speedupVsDense?: number;
}

interface ActivationRow {
  op: "absTopK" | "gelu" | "geluBackward";
  backend: Backend["name"];
  /** Native kernel threads (1 for the TypeScript backend). */
  threads: number;
  /** absTopK: rows, row width and kept entries per row; GELU: elements only. */
  n?: number;
  d?: number;
  k?: number;
  elements: number;
  /** Median and best nanoseconds per element. */
  nsPerElement: number;
  bestNsPerElement: number;
  seconds: number;
}

interface AttentionRow {
  shape: "inference" | "training";
  /** "forward" keeps the probabilities (training); "forward, no probs" is inference. */
  pass: "forward" | "forward, no probs" | "backward" | "forward+backward";
  b: number;
  t: number;
  nHead: number;
  dHead: number;
  threads: number;
  ms: number;
  bestMs: number;
  gflops: number;
}

/** Uniform numbers in [0, 1) from a seed. */
function seeded(seed: number): () => number {
  const source = new Rng(seed);
  return () => source.uniform32();
}

function randomF32(n: number, seed: number): Float32Array {
  const rand = seeded(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 2 * rand() - 1;
  return out;
}

/** Each entry is nonzero with probability `density`. */
function randomCsr(rows: number, cols: number, density: number, seed: number): CsrMatrix {
  const rand = seeded(seed);
  const rowPtr = new Int32Array(rows + 1);
  const colIdx = new Int32Array(Math.ceil(rows * cols * density * 1.2) + 64);
  const values = new Float32Array(colIdx.length);
  let nnz = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (rand() < density && nnz < colIdx.length) {
        colIdx[nnz] = c;
        values[nnz] = 2 * rand() - 1;
        nnz++;
      }
    }
    rowPtr[r + 1] = nnz;
  }
  return { rows, cols, rowPtr, colIdx: colIdx.slice(0, nnz), values: values.slice(0, nnz) };
}

function time(fn: () => void, minSeconds = MIN_SECONDS, minCalls = MIN_CALLS): Timing {
  fn(); // warm-up: page faults, scratch buffers, JIT
  const times: number[] = [];
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (times.length < minCalls || elapsed < minSeconds) {
    const t0 = process.hrtime.bigint();
    fn();
    const t1 = process.hrtime.bigint();
    times.push(Number(t1 - t0) / 1e9);
    elapsed = Number(t1 - start) / 1e9;
  }
  times.sort((a, b) => a - b);
  return { seconds: times[Math.floor(times.length / 2)], bestSeconds: times[0], calls: times.length };
}

const GEMM_MODES = {
  "x·Wᵀ (NT)": [false, true],
  "dy·W (NN)": [false, false],
  "dyᵀ·x (TN)": [true, false],
} as const;
type GemmMode = keyof typeof GEMM_MODES;

function benchGemm(backend: Backend, op: string, mode: GemmMode, m: number, n: number, k: number): DenseRow {
  const [transA, transB] = GEMM_MODES[mode];
  const a = randomF32(m * k, 1);
  const b = randomF32(k * n, 2);
  const c = new Float32Array(m * n);
  const t = time(
    () => backend.gemm(transA, transB, m, n, k, a, b, c, false),
    MIN_SECONDS,
    backend.name === "ts" ? 2 : MIN_CALLS,
  );
  const flops = 2 * m * n * k;
  return {
    op,
    mode,
    backend: backend.name,
    m,
    n,
    k,
    gflops: flops / t.seconds / 1e9,
    bestGflops: flops / t.bestSeconds / 1e9,
    seconds: t.seconds,
  };
}

function benchSparse(
  backend: Backend,
  op: SparseRow["op"],
  tokens: number,
  w: CsrMatrix,
  density: number,
): SparseRow {
  const x = randomF32(tokens * w.cols, 3);
  const dy = randomF32(tokens * w.rows, 4);
  const y = new Float32Array(tokens * w.rows);
  const dx = new Float32Array(tokens * w.cols);
  const grad = new Float32Array(w.rowPtr[w.rows]);
  const call = {
    spmmNT: () => backend.spmmNT(tokens, x, w, y, false),
    spmmNN: () => backend.spmmNN(tokens, dy, w, dx, false),
    sddmm: () => backend.sddmm(tokens, dy, x, w, grad),
  }[op];
  const t = time(call);
  const nnz = w.rowPtr[w.rows];
  const flops = 2 * tokens * nnz;
  return {
    op,
    backend: backend.name,
    tokens,
    rows: w.rows,
    cols: w.cols,
    density,
    nnz,
    usefulGflops: flops / t.seconds / 1e9,
    bestUsefulGflops: flops / t.bestSeconds / 1e9,
    seconds: t.seconds,
  };
}

/** n values ~ N(0, 1) (Box–Muller), like the pre-activations AbsTopK and GELU see. */
function gaussianF32(n: number, seed: number, scale = 1): Float32Array {
  const rand = seeded(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(rand(), 1e-12);
    out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  }
  return out;
}

function activationRow(
  base: Omit<ActivationRow, "nsPerElement" | "bestNsPerElement" | "seconds">,
  t: Timing,
): ActivationRow {
  return {
    ...base,
    nsPerElement: (t.seconds * 1e9) / base.elements,
    bestNsPerElement: (t.bestSeconds * 1e9) / base.elements,
    seconds: t.seconds,
  };
}

/** AbsTopK works in place: each call restores its input first, and the copy's own time is subtracted. */
function benchAbsTopK(backend: Backend, threads: number, n: number, d: number, k: number): ActivationRow {
  const source = gaussianF32(n * d, d + k);
  const x = new Float32Array(n * d);
  const kept = new Uint8Array(n * d);
  const copy = time(() => x.set(source));
  const t = time(
    () => {
      x.set(source);
      backend.absTopK(x, n, d, k, kept);
    },
    MIN_SECONDS,
    backend.name === "ts" ? 2 : MIN_CALLS,
  );
  const net: Timing = {
    seconds: Math.max(t.seconds - copy.seconds, 0),
    bestSeconds: Math.max(t.bestSeconds - copy.bestSeconds, 0),
    calls: t.calls,
  };
  return activationRow({ op: "absTopK", backend: backend.name, threads, n, d, k, elements: n * d }, net);
}

function benchGelu(
  backend: Backend,
  threads: number,
  op: "gelu" | "geluBackward",
  size: number,
): ActivationRow {
  const x = gaussianF32(size, 5, 3);
  const dy = gaussianF32(size, 6);
  const out = new Float32Array(size);
  const call =
    op === "gelu" ? () => backend.gelu(x, out, size) : () => backend.geluBackward(x, dy, out, size);
  const t = time(call, MIN_SECONDS, backend.name === "ts" ? 2 : MIN_CALLS);
  return activationRow({ op, backend: backend.name, threads, elements: size }, t);
}

/** Native at 1 and 2 threads on csp_yolo2 shapes (256 tokens; d_model 2048, d_mlp 8192, k = d/4), TS on fewer rows. */
function benchActivations(native: Backend): ActivationRow[] {
  const rows: ActivationRow[] = [];
  const savedThreads = nativeThreads();
  const topKShapes: [number, number, number][] = [
    [256, 8192, 2048],
    [256, 2048, 512],
  ];
  const geluSize = 2 * 1024 * 1024;
  console.log(
    "Activations  (ns per element, median; best = fastest call; absTopK excludes restoring its input)",
  );
  console.log(
    `${pad("op", 14)}${pad("shape", 22)}${lpad("threads", 8)}${lpad("ns/elem", 10)}${lpad("best", 8)}${lpad("ms", 9)}`,
  );
  const print = (r: ActivationRow) => {
    const shape = r.op === "absTopK" ? `n=${r.n} d=${r.d} k=${r.k}` : `${r.elements} elements`;
    const who = r.backend === "ts" ? "ts" : String(r.threads);
    console.log(
      `${pad(r.op, 14)}${pad(shape, 22)}${lpad(who, 8)}${lpad(fmt(r.nsPerElement, 3), 10)}${lpad(fmt(r.bestNsPerElement, 3), 8)}${lpad(fmt(r.seconds * 1e3, 2), 9)}`,
    );
    rows.push(r);
  };
  try {
    for (const threads of [1, 2]) {
      nativeThreads(threads);
      for (const [n, d, k] of topKShapes) print(benchAbsTopK(native, threads, n, d, k));
      print(benchGelu(native, threads, "gelu", geluSize));
      print(benchGelu(native, threads, "geluBackward", geluSize));
    }
  } finally {
    nativeThreads(savedThreads);
  }
  for (const [, d, k] of topKShapes) print(benchAbsTopK(tsBackend, 1, 8, d, k));
  print(benchGelu(tsBackend, 1, "gelu", 1 << 16));
  print(benchGelu(tsBackend, 1, "geluBackward", 1 << 16));
  console.log("");
  return rows;
}

/** The csp_yolo2 inference shape and the training step's shape, sink on, at 1 and 2 threads. */
function benchAttention(native: Backend): AttentionRow[] {
  const rows: AttentionRow[] = [];
  const shapes = [
    { shape: "inference", b: 1, t: 256, nHead: 128, dHead: 16 },
    { shape: "training", b: 8, t: 256, nHead: 32, dHead: 16 },
  ] as const;
  const threadsBefore = nativeThreads();
  for (const { shape, ...dims } of shapes) {
    const { b, t, nHead, dHead } = dims;
    const size = b * t * nHead * dHead;
    const [q, k, v, dy] = [5, 6, 7, 8].map((seed) => randomF32(size, seed));
    const sink = randomF32(nHead, 9);
    const y = new Float32Array(size);
    const probs = new Float32Array(b * nHead * t * t);
    const pSink = new Float32Array(b * nHead * t);
    const [dq, dk, dv] = [0, 0, 0].map(() => new Float32Array(size));
    const dSink = new Float32Array(nHead);
    const causal = (b * nHead * t * (t + 1)) / 2;
    const forward = () => native.attentionForward(dims, q, k, v, sink, y, probs, pSink);
    const inference = () => native.attentionForward(dims, q, k, v, sink, y, undefined, pSink);
    const backward = () => native.attentionBackward(dims, dy, q, k, v, probs, pSink, dq, dk, dv, dSink);
    forward(); // the backward reads real probabilities
    const passes: [AttentionRow["pass"], () => void, number][] =
      shape === "inference"
        ? [
            ["forward, no probs", inference, 4],
            ["forward", forward, 4],
          ]
        : [
            ["forward", forward, 4],
            ["backward", backward, 8],
            [
              "forward+backward",
              () => {
                forward();
                backward();
              },
              12,
            ],
          ];
    for (const threads of [1, 2]) {
      nativeThreads(threads);
      for (const [pass, fn, flopsPerPair] of passes) {
        const timing = time(fn);
        const flops = flopsPerPair * dHead * causal;
        rows.push({
          shape,
          pass,
          ...dims,
          threads,
          ms: timing.seconds * 1e3,
          bestMs: timing.bestSeconds * 1e3,
          gflops: flops / timing.seconds / 1e9,
        });
      }
    }
  }
  nativeThreads(threadsBefore);
  return rows;
}

function machine() {
  let cpuModel = cpus()[0]?.model ?? "unknown";
  let flags: string[] = [];
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    cpuModel = /^model name\s*:\s*(.*)$/m.exec(info)?.[1] ?? cpuModel;
    flags = (/^flags\s*:\s*(.*)$/m.exec(info)?.[1] ?? "").split(/\s+/);
  } catch {
    // not Linux: os.cpus() is all there is
  }
  const simd = ["avx512f", "avx2", "fma"].filter((f) => flags.includes(f));
  return {
    cpuModel,
    cores: availableParallelism(),
    simd: simd.join(" ") || "unknown",
    node: process.version,
  };
}

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

const fmt = (v: number | undefined, digits = 1) => (v === undefined ? "-" : v.toFixed(digits));
const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);

const SECTIONS = ["dense", "sparse", "attention", "activations"] as const;
type Section = (typeof SECTIONS)[number];

/** The sections to run (all without --only), and whether that is all of them. */
function sectionsToRun(argv: string[]): { only: Set<Section>; all: boolean } {
  if (argv.includes("--activations")) return { only: new Set(["activations"]), all: false };
  const at = argv.indexOf("--only");
  if (at < 0) return { only: new Set(SECTIONS), all: true };
  const names = (argv[at + 1] ?? "").split(",").filter((n) => n.length > 0);
  for (const n of names)
    if (!(SECTIONS as readonly string[]).includes(n))
      throw new Error(`--only: unknown section "${n}" (have ${SECTIONS.join(", ")})`);
  return { only: new Set(names as Section[]), all: false };
}

function main(): void {
  const { backend: native, build, error } = loadNativeBackend();
  if (!native || !build) {
    console.error(`bench/kernels: native addon unavailable: ${error}`);
    process.exit(1);
  }
  const { only, all } = sectionsToRun(process.argv.slice(2));
  const started = Date.now();
  const info = machine();
  const command = process.env.npm_lifecycle_event
    ? `npm run ${process.env.npm_lifecycle_event} (node ${process.argv.slice(1).join(" ")})`
    : `node ${process.argv.slice(1).join(" ")}`;
  console.log(`machine: ${info.cpuModel}, ${info.cores} cores (${info.simd}), node ${info.node}`);
  console.log(`native build: ${formatBuild(build)}, ${build.path} (CSP_ADDON_MARCH picks another)`);
  console.log(`native threads: ${nativeThreads()}`);
  // Other processes on the machine slow the native kernels (two threads on two cores) the most.
  const loadAtStart = loadavg()[0];
  console.log(`load average (1 min) at start: ${loadAtStart.toFixed(2)}`);
  console.log(`command: ${command}`);
  console.log("");
  if (!all) {
    if (only.has("dense")) benchDense(native);
    if (only.has("sparse")) benchSparseKernels(native);
    if (only.has("attention")) printAttention(benchAttention(native));
    if (only.has("activations")) benchActivations(native);
    console.log(`partial run (--only ${[...only].join(",")}): bench/kernels_results.json not written`);
    return;
  }
  const dense = benchDense(native);
  const sparse = benchSparseKernels(native, dense);
  const attention = printAttention(benchAttention(native));
  const activations = benchActivations(native);
  const seconds = (Date.now() - started) / 1000;
  const loadAtEnd = loadavg()[0];
  console.log(`total ${seconds.toFixed(1)} s; load average (1 min) at end: ${loadAtEnd.toFixed(2)}`);

  const out = join(packageRoot(), "bench", "kernels-results.json");
  const report = {
    machine: {
      ...info,
      nativeThreads: nativeThreads(),
      nativeBuild: { march: build.march, simd: build.simd, registerBytes: build.registerBytes },
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: loadAtEnd,
    },
    command,
    date: new Date().toISOString(),
    seconds,
    dense,
    sparse,
    attention,
    activations,
  };
  writeFileAtomic(out, JSON.stringify(report, null, 2) + "\n");
  console.log(`wrote ${out}`);
}

/** Dense GEMM: native at full size, TS on fewer rows (its rate barely depends on m). */
function benchDense(native: Backend): DenseRow[] {
  // Dense GEMM: native at full size, TS on fewer rows (its rate barely depends on m).
  const dense: DenseRow[] = [];
  const denseCases: {
    op: string;
    mode: GemmMode;
    native: [number, number, number];
    ts: [number, number, number];
  }[] = [
    { op: "square", mode: "x·Wᵀ (NT)", native: [512, 512, 512], ts: [512, 512, 512] },
    { op: "linear forward", mode: "x·Wᵀ (NT)", native: [2048, 2048, 2048], ts: [64, 2048, 2048] },
    { op: "linear backward dx", mode: "dy·W (NN)", native: [2048, 2048, 2048], ts: [64, 2048, 2048] },
    { op: "linear backward dW", mode: "dyᵀ·x (TN)", native: [2048, 2048, 2048], ts: [2048, 64, 2048] },
    // The weight gradients of a training step, dW[out,in] = dyᵀ·x over 2048 tokens.
    { op: "dW attn qkv", mode: "dyᵀ·x (TN)", native: [1536, 512, 2048], ts: [1536, 64, 2048] },
    { op: "dW attn out", mode: "dyᵀ·x (TN)", native: [512, 512, 2048], ts: [512, 64, 2048] },
    { op: "dW mlp up, unembed", mode: "dyᵀ·x (TN)", native: [2048, 512, 2048], ts: [2048, 64, 2048] },
    { op: "dW mlp down", mode: "dyᵀ·x (TN)", native: [512, 2048, 2048], ts: [512, 64, 2048] },
  ];
  console.log("Dense GEMM  (GFLOP/s = 2·m·n·k / median time; best = fastest call)");
  console.log(
    `${pad("op", 20)}${pad("mode", 12)}${pad("native m×n×k", 16)}${lpad("native", 9)}${lpad("best", 8)}   ${pad("ts m×n×k", 16)}${lpad("ts", 7)}${lpad("native/ts", 11)}`,
  );
  for (const c of denseCases) {
    const n = benchGemm(native, c.op, c.mode, ...c.native);
    const t = benchGemm(tsBackend, c.op, c.mode, ...c.ts);
    dense.push(n, t);
    console.log(
      `${pad(c.op, 20)}${pad(c.mode.split(" ")[1], 12)}${pad(c.native.join("×"), 16)}${lpad(fmt(n.gflops), 9)}${lpad(fmt(n.bestGflops), 8)}   ${pad(c.ts.join("×"), 16)}${lpad(fmt(t.gflops, 2), 7)}${lpad(fmt(n.gflops / t.gflops, 0) + "×", 11)}`,
    );
  }
  console.log("");
  return dense;
}

/**
 * Sparse: the dense GEMM of the same shape, on the native backend, is what sparsity must beat (its
 * rows join `dense` when given).
 */
function benchSparseKernels(native: Backend, dense: DenseRow[] = []): SparseRow[] {
  const sparse: SparseRow[] = [];
  const denseEquivalent = new Map<string, number>();
  const sparseOps: {
    op: SparseRow["op"];
    mode: GemmMode;
    dims: (rows: number, cols: number) => [number, number, number];
  }[] = [
    { op: "spmmNT", mode: "x·Wᵀ (NT)", dims: (rows, cols) => [TOKENS_NATIVE, rows, cols] },
    { op: "spmmNN", mode: "dy·W (NN)", dims: (rows, cols) => [TOKENS_NATIVE, cols, rows] },
    { op: "sddmm", mode: "dyᵀ·x (TN)", dims: (rows, cols) => [rows, cols, TOKENS_NATIVE] },
  ];
  console.log(
    `Sparse CSR kernels  (useful GFLOP/s = 2·tokens·nnz / median time; native ${TOKENS_NATIVE} tokens, ts ${TOKENS_TS} tokens)`,
  );
  console.log(
    `${pad("op", 8)}${pad("W out×in", 11)}${lpad("density", 8)}${lpad("nnz", 10)}${lpad("native", 9)}${lpad("best", 8)}${lpad("ms", 9)}${lpad("ts", 8)}${lpad("native/ts", 11)}${lpad("dense ms", 10)}${lpad("vs dense", 10)}`,
  );
  for (const [rows, cols] of WEIGHT_SHAPES) {
    for (const { op, mode, dims } of sparseOps) {
      const key = `${op} ${rows}x${cols}`;
      const d = benchGemm(native, `dense equivalent of ${op}`, mode, ...dims(rows, cols));
      dense.push(d);
      denseEquivalent.set(key, d.seconds);
    }
    for (const density of DENSITIES) {
      const w = randomCsr(rows, cols, density, rows * 31 + Math.round(density * 1e4));
      for (const { op } of sparseOps) {
        const n = benchSparse(native, op, TOKENS_NATIVE, w, density);
        const denseSeconds = denseEquivalent.get(`${op} ${rows}x${cols}`)!;
        n.speedupVsDense = denseSeconds / n.seconds;
        const t = benchSparse(tsBackend, op, TOKENS_TS, w, density);
        sparse.push(n, t);
        console.log(
          `${pad(op, 8)}${pad(`${rows}×${cols}`, 11)}${lpad(`${density * 100}%`, 8)}${lpad(String(n.nnz), 10)}${lpad(fmt(n.usefulGflops), 9)}${lpad(fmt(n.bestUsefulGflops), 8)}${lpad(fmt(n.seconds * 1e3, 2), 9)}${lpad(fmt(t.usefulGflops, 2), 8)}${lpad(fmt(n.usefulGflops / t.usefulGflops, 0) + "×", 11)}${lpad(fmt(denseSeconds * 1e3, 1), 10)}${lpad(fmt(n.speedupVsDense, 1) + "×", 10)}`,
        );
      }
    }
  }
  console.log(`vs dense = time of the dense native GEMM of the same shape / time of the sparse kernel.`);
  console.log("");
  return sparse;
}

function printAttention(attention: AttentionRow[]): AttentionRow[] {
  console.log(
    "Causal attention with sink, native  (GFLOP/s = causal multiply-adds / median time, see above)",
  );
  console.log(
    `${pad("shape", 11)}${pad("b×t×H×dh", 16)}${pad("pass", 19)}${lpad("threads", 8)}${lpad("ms", 9)}${lpad("best", 9)}${lpad("GFLOP/s", 9)}`,
  );
  for (const r of attention) {
    console.log(
      `${pad(r.shape, 11)}${pad(`${r.b}×${r.t}×${r.nHead}×${r.dHead}`, 16)}${pad(r.pass, 19)}${lpad(String(r.threads), 8)}${lpad(fmt(r.ms, 2), 9)}${lpad(fmt(r.bestMs, 2), 9)}${lpad(fmt(r.gflops), 9)}`,
    );
  }
  console.log("");
  return attention;
}

main();
