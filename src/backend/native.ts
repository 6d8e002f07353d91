import { createRequire } from "node:module";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { RMS_EPS, type Backend, type NodeMaskArgs, type TopKProjection } from "./backend.js";
import { tsBackend } from "./ts/index.js";
import { checkProjection } from "./ts/train_topk.js";
import type { FloatArray } from "../tensor/tensor.js";
import type { CsrMatrix } from "../tensor/sparse.js";

/**
 * The functions the C++ addon (src/native/addon.cc) exports. Arrays are passed without copying. Bad
 * arguments throw TypeError (wrong type) or RangeError (wrong size, index out of range, output sharing
 * memory with an input) before anything is written.
 */
export interface NativeAddon {
  attentionForward(
    b: number,
    t: number,
    nHead: number,
    dHead: number,
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    sink: Float32Array | null,
    y: Float32Array,
    probs: Float32Array | null,
    pSink: Float32Array | null,
  ): void;
  attentionBackward(
    b: number,
    t: number,
    nHead: number,
    dHead: number,
    dy: Float32Array,
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    probs: Float32Array,
    pSink: Float32Array | null,
    dq: Float32Array,
    dk: Float32Array,
    dv: Float32Array,
    dSink: Float32Array | null,
  ): void;
  absTopK(x: Float32Array, n: number, d: number, k: number, kept: Uint8Array): void;
  gelu(x: Float32Array, out: Float32Array, size: number): void;
  geluBackward(x: Float32Array, dy: Float32Array, dx: Float32Array, size: number): void;
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    accumulate: boolean,
  ): void;
  spmmNT(
    m: number,
    x: Float32Array,
    rows: number,
    cols: number,
    rowPtr: Int32Array,
    colIdx: Int32Array,
    values: Float32Array,
    y: Float32Array,
    accumulate: boolean,
    bias?: Float32Array | null,
  ): void;
  spmmNN(
    m: number,
    dy: Float32Array,
    rows: number,
    cols: number,
    rowPtr: Int32Array,
    colIdx: Int32Array,
    values: Float32Array,
    dx: Float32Array,
    accumulate: boolean,
  ): void;
  sddmm(
    m: number,
    dy: Float32Array,
    x: Float32Array,
    rows: number,
    cols: number,
    rowPtr: Int32Array,
    colIdx: Int32Array,
    out: Float32Array,
  ): void;
  gemmSparseA(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    accumulate: boolean,
  ): void;
  addInto(a: Float32Array, b: Float32Array, out: Float32Array, size: number): void;
  rmsNormForward(
    x: Float32Array,
    w: Float32Array,
    n: number,
    d: number,
    out: Float32Array,
    rstd: Float32Array,
    xStride: number,
    outStride: number,
    outOffset: number,
    eps: number,
  ): void;
  rmsNormBackward(
    dy: Float32Array,
    x: Float32Array,
    w: Float32Array,
    rstd: Float32Array,
    n: number,
    d: number,
    dx: Float32Array,
    dw: Float32Array | null,
    dyStride: number,
    dyOffset: number,
  ): void;
  countNonzeros(dense: Float32Array): number;
  denseToCsr(
    dense: Float32Array,
    rows: number,
    cols: number,
    rowPtr: Int32Array,
    colIdx: Int32Array,
    values: Float32Array,
  ): void;
  addGatheredRows(
    table: Float32Array,
    tableRows: number,
    ids: Int32Array,
    width: number,
    out: Float32Array,
  ): void;
  scatterAddRows(
    src: Float32Array,
    ids: Int32Array,
    width: number,
    table: Float32Array,
    tableRows: number,
    skipId: number,
  ): void;
  copyBlock(
    src: Float32Array,
    srcStride: number,
    srcOffset: number,
    dst: Float32Array,
    dstStride: number,
    dstOffset: number,
    rows: number,
    width: number,
  ): void;
  nodeMaskForward(...args: [...AddonNodeMask, out: Float32Array]): void;
  nodeMaskBackward(
    ...args: [
      ...AddonNodeMask,
      dOut: Float32Array,
      dx: Float32Array,
      dMask: Float64Array | null,
      perSequence: number,
    ]
  ): void;
  // Training-step kernels (src/native/train_kernels.h).
  adamUpdate(
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    beta1: number,
    beta2: number,
    oneMinusBeta1: number,
    oneMinusBeta2: number,
    stepSize: number,
    biasCorrection2Sqrt: number,
    eps: number,
  ): void;
  sumSquares(arrays: Float32Array[]): number;
  divideInPlace(arrays: Float32Array[], divisor: number): void;
  decayInPlace(arrays: Float32Array[], factor: number): void;
  addColumnSums(dy: Float32Array, n: number, d: number, out: Float32Array): void;
  maskByKept(dy: Float32Array, kept: Uint8Array, size: number): void;
  /**
   * axis: 0 = no min-alive, 1 = rows, 2 = cols. The backend runs checkProjection first (for the
   * oracle's messages); the addon itself re-checks the sizes and forced ≤ k (RangeError).
   */
  projectTopK(w: Float32Array, rows: number, cols: number, k: number, axis: number, perNeuron: number): void;
  crossEntropy(
    logits: Float32Array,
    targets: Int32Array,
    v: number,
    dLogits: Float32Array | null,
    scale: number,
  ): { loss: number; count: number };
  /** Returns the kernels' thread count; with n, sets it first (1..64). Results never depend on it. */
  threads(n?: number): number;
  /** What this build was compiled for (absent from addons built before it existed). */
  buildInfo?(): NativeBuildInfo;
}

/**
 * A build of the addon: the -march it was compiled for and the instruction sets that enables
 * (src/native/addon.cc, BuildInfo). Every build computes the same bits (src/native/simd.h); speed
 * differs, so benchmarks and results say which build they come from.
 */
export interface NativeBuildInfo {
  march: string;
  simd: { avx512f: boolean; avx2: boolean; avx: boolean; fma: boolean };
  /** The widest native vector the kernels use, in bytes (64 with AVX-512, 32 with AVX/AVX2). */
  registerBytes: number;
  /** The logical vector width every build sums in (16). */
  logicalFloatLanes: number;
  compiler: string;
}

/** A loaded build: its info and the file it came from. */
export interface LoadedBuild extends NativeBuildInfo {
  path: string;
}

/** "x86-64-v3 (avx2 fma)": a build in one line. */
export function formatBuild(b: NativeBuildInfo): string {
  const flags = (["avx512f", "avx2", "fma"] as const).filter((f) => b.simd[f]);
  return `${b.march} (${flags.join(" ") || "no avx2/fma"})`;
}

/** The package root: the first directory above this file (src/backend or dist/src/backend) with binding.gyp. */
function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, "binding.gyp"))) return dir;
    dir = dirname(dir);
  }
  return undefined;
}

const ADDON_FILE = "csp_native.node";

/** The -march a build directory's stamp (scripts/build-addon.mjs) names; "native" for an unstamped default build. */
function stampedMarch(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, "csp_native.json"), "utf8")) as { march?: string }).march;
  } catch {
    return undefined;
  }
}

/**
 * Where the addon for `march` is: of the default build (build/Release, what `npm install` builds; if
 * its stamp names that target) and build-<march>/Release (`npm run build:addon -- --march M`), the
 * one built last. Without a march: the default build, or the only other build there is.
 */
export function findAddon(march?: string): { path?: string; error?: string } {
  const root = packageRoot();
  if (!root) return { error: "the package root (binding.gyp) was not found" };
  const defaultDir = join(root, "build", "Release");
  const hasDefault = existsSync(join(defaultDir, ADDON_FILE));
  const named = (m: string) => join(root, `build-${m}`, "Release", ADDON_FILE);
  if (march === undefined) {
    if (hasDefault) return { path: join(defaultDir, ADDON_FILE) };
    const others = builtMarches(root).filter((m) => existsSync(named(m)));
    if (others.length === 1) return { path: named(others[0]) };
    return {
      error:
        others.length === 0
          ? "build/Release/csp_native.node not found (npm install builds it)"
          : `build/Release/csp_native.node not found and several other builds exist (${others.join(", ")}): choose one with CSP_ADDON_MARCH`,
    };
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(march)) return { error: `"${march}" is not a -march target name` };
  const candidates = [named(march)];
  if (hasDefault && (stampedMarch(defaultDir) ?? "native") === march)
    candidates.push(join(defaultDir, ADDON_FILE));
  const built = candidates.filter((p) => existsSync(p)).map((p) => ({ p, t: statSync(p).mtimeMs }));
  built.sort((a, b) => b.t - a.t);
  if (built.length > 0) return { path: built[0].p };
  return {
    error: `no addon built for -march=${march} (build it with: npm run build:addon -- --march ${march})`,
  };
}

/** The targets of the builds beside the default one (build-<march>/ directories). */
function builtMarches(root: string): string[] {
  return readdirSync(root)
    .filter((d) => d.startsWith("build-"))
    .map((d) => d.slice("build-".length))
    .sort();
}

/** The CPU's instruction-set flags (Linux; undefined elsewhere, where no build is refused). */
let cpuFlags: Set<string> | null | undefined;
function cpuHas(flag: string): boolean | undefined {
  if (cpuFlags === undefined) {
    try {
      const line = /^flags\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1];
      cpuFlags = line ? new Set(line.split(/\s+/)) : null;
    } catch {
      cpuFlags = null;
    }
  }
  return cpuFlags === null ? undefined : cpuFlags.has(flag);
}

/** Why this CPU cannot run a build (its first instruction set the CPU lacks), or undefined. */
export function cpuCannotRun(b: NativeBuildInfo): string | undefined {
  const missingSet = (["avx512f", "avx2", "fma", "avx"] as const).find(
    (f) => b.simd[f] && cpuHas(f) === false,
  );
  return missingSet && `it uses ${missingSet}, which this CPU does not have`;
}

/** Float32 throughout (or absent): the native kernels apply; Float64 goes to the TypeScript oracle. */
/** The arguments both node-mask kernels of the addon start with. */
type AddonNodeMask = [
  x: Float32Array,
  rows: number,
  width: number,
  mask: Float64Array,
  mu: Float32Array,
  muPerRow: boolean,
];

function addonNodeMask(a: NodeMaskArgs): AddonNodeMask {
  return [a.x as Float32Array, a.rows, a.width, float64(a.mask), a.mu, a.muPerRow];
}

/** Whether two arrays' bytes overlap (the kernels that read one while writing the other refuse that). */
function sharesMemory(a: Float32Array, b: Float32Array): boolean {
  return (
    a.buffer === b.buffer &&
    a.byteOffset < b.byteOffset + b.byteLength &&
    b.byteOffset < a.byteOffset + a.byteLength
  );
}

/** The values as a Float64Array (exact from float32), the array itself when it already is one. */
function float64(a: FloatArray): Float64Array {
  return a instanceof Float64Array ? a : new Float64Array(a);
}

function allF32(...arrays: (FloatArray | undefined)[]): boolean {
  return arrays.every((a) => a === undefined || a instanceof Float32Array);
}

/** An optional array for the addon (callers checked allF32 first). */
function orNull(a: FloatArray | undefined): Float32Array | null {
  return (a as Float32Array | undefined) ?? null;
}

function f32(a: FloatArray, what: string): Float32Array {
  if (!(a instanceof Float32Array)) throw new TypeError(`native backend: ${what} must be a Float32Array`);
  return a;
}

/** Every array is Float32 (a list with any Float64 one goes to the oracle whole). */
function allF32List(arrays: readonly FloatArray[]): arrays is Float32Array[] {
  return arrays.every((a) => a instanceof Float32Array);
}

/** The native projection: the oracle's checks, then the kernel (Float64 values take the oracle). */
function nativeProjectTopK(addon: NativeAddon, p: TopKProjection): number {
  if (!(p.values instanceof Float32Array)) return tsBackend.projectTopK(p);
  const n = checkProjection(p);
  if (p.k >= n) return n;
  const m = p.minAlive;
  const axis = !m || m.perNeuron <= 0 ? 0 : m.axis === "rows" ? 1 : 2;
  addon.projectTopK(p.values, p.rows, p.cols, p.k, axis, m ? m.perNeuron : 0);
  return p.k;
}

interface Loaded {
  backend?: Backend;
  addon?: NativeAddon;
  build?: LoadedBuild;
  error?: string;
}

const cache = new Map<string, Loaded>();

/**
 * The build this process uses: CSP_ADDON_MARCH (a -march target, e.g. x86-64-v3) or, unset, the
 * default build. Results are the same bits with every build; only speed differs.
 */
export function selectedMarch(): string | undefined {
  const m = process.env.CSP_ADDON_MARCH ?? "";
  return m === "" ? undefined : m;
}

/** The raw addon (for tests and benchmarks), or why it is unavailable; `march` picks a build (default: selectedMarch()). */
export function loadNativeAddon(march = selectedMarch()): {
  addon?: NativeAddon;
  build?: LoadedBuild;
  error?: string;
} {
  return loadNative(march);
}

/** The native backend over a build (default: the one selectedMarch() picks), or why it is unavailable. */
export function loadNativeBackend(march = selectedMarch()): {
  backend?: Backend;
  build?: LoadedBuild;
  error?: string;
} {
  return loadNative(march);
}

/** The build the native backend of this process runs on (undefined if the addon is unavailable). */
export function nativeBuild(): LoadedBuild | undefined {
  return loadNative(selectedMarch()).build;
}

/** The native kernels' thread count; with n, sets it first. Throws if the addon is unavailable. */
export function nativeThreads(n?: number): number {
  const { addon, error } = loadNative(selectedMarch());
  if (!addon) throw new Error(`native addon unavailable: ${error}`);
  return n === undefined ? addon.threads() : addon.threads(n);
}

function loadNative(march: string | undefined): Loaded {
  const key = march ?? "";
  const hit = cache.get(key);
  if (hit) return hit;
  const loaded = loadBuild(march);
  cache.set(key, loaded);
  return loaded;
}

function loadBuild(march: string | undefined): Loaded {
  const { path, error } = findAddon(march);
  if (!path) return { error };
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (e) {
    return { error: `cannot load ${path}: ${(e as Error).message}` };
  }
  const info: NativeBuildInfo = addon.buildInfo?.() ?? {
    march: "unknown (built before buildInfo existed)",
    simd: { avx512f: false, avx2: false, avx: false, fma: false },
    registerBytes: 0,
    logicalFloatLanes: 0,
    compiler: "unknown",
  };
  if (march !== undefined && info.march !== march)
    return { error: `${path} was built for -march=${info.march}, not ${march}` };
  const refused = cpuCannotRun(info);
  if (refused) return { error: `${path} (built for -march=${info.march}) cannot run here: ${refused}` };
  const build: LoadedBuild = { ...info, path };
  const backend: Backend = {
    name: "native",
    gemm: (transA, transB, m, n, k, a, b, c, accumulate) =>
      addon.gemm(transA, transB, m, n, k, f32(a, "A"), f32(b, "B"), f32(c, "C"), accumulate),
    spmmNT: (m, x, w: CsrMatrix, y, accumulate, bias) =>
      addon.spmmNT(m, x, w.rows, w.cols, w.rowPtr, w.colIdx, w.values, y, accumulate, bias ?? null),
    spmmNN: (m, dy, w: CsrMatrix, dx, accumulate) =>
      addon.spmmNN(m, dy, w.rows, w.cols, w.rowPtr, w.colIdx, w.values, dx, accumulate),
    sddmm: (m, dy, x, p: CsrMatrix, out) => addon.sddmm(m, dy, x, p.rows, p.cols, p.rowPtr, p.colIdx, out),
    gemmSparseA: (transA, transB, m, n, k, a, b, c, accumulate) =>
      addon.gemmSparseA(transA, transB, m, n, k, a, b, c, accumulate),
    // Float64 data (finite-difference checks) takes the TypeScript kernels.
    absTopK: (x, n, d, k, kept) =>
      x instanceof Float32Array ? addon.absTopK(x, n, d, k, kept) : tsBackend.absTopK(x, n, d, k, kept),
    gelu: (x, out, size) =>
      x instanceof Float32Array && out instanceof Float32Array
        ? addon.gelu(x, out, size)
        : tsBackend.gelu(x, out, size),
    geluBackward: (x, dy, dx, size) =>
      x instanceof Float32Array && dy instanceof Float32Array && dx instanceof Float32Array
        ? addon.geluBackward(x, dy, dx, size)
        : tsBackend.geluBackward(x, dy, dx, size),
    attentionForward: (d, q, k, v, sink, y, probs, pSink) => {
      if (!allF32(q, k, v, sink, y, probs, pSink))
        return tsBackend.attentionForward(d, q, k, v, sink, y, probs, pSink);
      const [q32, k32, v32, y32] = [q, k, v, y] as Float32Array[];
      addon.attentionForward(
        d.b,
        d.t,
        d.nHead,
        d.dHead,
        q32,
        k32,
        v32,
        orNull(sink),
        y32,
        orNull(probs),
        orNull(pSink),
      );
    },
    attentionBackward: (d, dy, q, k, v, probs, pSink, dq, dk, dv, dSink) => {
      if (!allF32(dy, q, k, v, probs, pSink, dq, dk, dv, dSink)) {
        return tsBackend.attentionBackward(d, dy, q, k, v, probs, pSink, dq, dk, dv, dSink);
      }
      const [dy32, q32, k32, v32, p32, dq32, dk32, dv32] = [dy, q, k, v, probs, dq, dk, dv] as Float32Array[];
      addon.attentionBackward(
        d.b,
        d.t,
        d.nHead,
        d.dHead,
        dy32,
        q32,
        k32,
        v32,
        p32,
        orNull(pSink),
        dq32,
        dk32,
        dv32,
        orNull(dSink),
      );
    },
    addInto: (a, b, out, size) =>
      allF32(a, b, out)
        ? addon.addInto(a as Float32Array, b as Float32Array, out as Float32Array, size)
        : tsBackend.addInto(a, b, out, size),
    addGatheredRows: (table, ids, width, out) =>
      allF32(table, out)
        ? addon.addGatheredRows(
            table as Float32Array,
            Math.floor(table.length / Math.max(1, width)),
            ids,
            width,
            out as Float32Array,
          )
        : tsBackend.addGatheredRows(table, ids, width, out),
    scatterAddRows: (src, ids, width, table, skipId = -1) =>
      allF32(src, table)
        ? addon.scatterAddRows(
            src as Float32Array,
            ids,
            width,
            table as Float32Array,
            Math.floor(table.length / Math.max(1, width)),
            skipId,
          )
        : tsBackend.scatterAddRows(src, ids, width, table, skipId),
    copyBlock: (o) =>
      allF32(o.src, o.dst)
        ? addon.copyBlock(
            o.src as Float32Array,
            o.srcStride,
            o.srcOffset,
            o.dst as Float32Array,
            o.dstStride,
            o.dstOffset,
            o.rows,
            o.width,
          )
        : tsBackend.copyBlock(o),
    nodeMaskForward: (a) =>
      allF32(a.x, a.out) && (a.x === a.out || !sharesMemory(a.x as Float32Array, a.out as Float32Array))
        ? addon.nodeMaskForward(...addonNodeMask(a), a.out as Float32Array)
        : tsBackend.nodeMaskForward(a),
    nodeMaskBackward: (a) =>
      allF32(a.x, a.dOut, a.dx) &&
      (a.dx === a.dOut || !sharesMemory(a.dx as Float32Array, a.dOut as Float32Array)) &&
      !sharesMemory(a.dx as Float32Array, a.x as Float32Array)
        ? addon.nodeMaskBackward(
            ...addonNodeMask(a),
            a.dOut as Float32Array,
            a.dx as Float32Array,
            a.dMask ?? null,
            a.perSequence ?? 0,
          )
        : tsBackend.nodeMaskBackward(a),
    countNonzeros: (a) => addon.countNonzeros(a),
    csrFromDense: (dense, rows, cols, nnz = addon.countNonzeros(dense.subarray(0, rows * cols))) => {
      const m: CsrMatrix = {
        rows,
        cols,
        rowPtr: new Int32Array(rows + 1),
        colIdx: new Int32Array(nnz),
        values: new Float32Array(nnz),
      };
      addon.denseToCsr(dense, rows, cols, m.rowPtr, m.colIdx, m.values);
      return m;
    },
    rmsNormForward: (o) => {
      if (!allF32(o.x, o.w, o.out, o.rstd)) return tsBackend.rmsNormForward(o);
      addon.rmsNormForward(
        o.x as Float32Array,
        o.w as Float32Array,
        o.n,
        o.d,
        o.out as Float32Array,
        o.rstd as Float32Array,
        o.xStride ?? o.d,
        o.outStride ?? o.d,
        o.outOffset ?? 0,
        RMS_EPS,
      );
    },
    rmsNormBackward: (o) => {
      if (!allF32(o.dy, o.x, o.w, o.rstd, o.dx, o.dw)) return tsBackend.rmsNormBackward(o);
      addon.rmsNormBackward(
        o.dy as Float32Array,
        o.x as Float32Array,
        o.w as Float32Array,
        o.rstd as Float32Array,
        o.n,
        o.d,
        o.dx as Float32Array,
        orNull(o.dw),
        o.dyStride ?? o.d,
        o.dyOffset ?? 0,
      );
    },
    adamUpdate: (p, g, m, v, c) =>
      allF32(p, g, m, v)
        ? addon.adamUpdate(
            p as Float32Array,
            g as Float32Array,
            m as Float32Array,
            v as Float32Array,
            c.beta1,
            c.beta2,
            c.oneMinusBeta1,
            c.oneMinusBeta2,
            c.stepSize,
            c.biasCorrection2Sqrt,
            c.eps,
          )
        : tsBackend.adamUpdate(p, g, m, v, c),
    sumSquares: (arrays) => (allF32List(arrays) ? addon.sumSquares(arrays) : tsBackend.sumSquares(arrays)),
    divideInPlace: (arrays, divisor) =>
      allF32List(arrays) ? addon.divideInPlace(arrays, divisor) : tsBackend.divideInPlace(arrays, divisor),
    decayInPlace: (arrays, factor) =>
      allF32List(arrays) ? addon.decayInPlace(arrays, factor) : tsBackend.decayInPlace(arrays, factor),
    addColumnSums: (dy, n, d, out) =>
      dy instanceof Float32Array && out instanceof Float32Array
        ? addon.addColumnSums(dy, n, d, out)
        : tsBackend.addColumnSums(dy, n, d, out),
    maskByKept: (dy, kept, size) =>
      dy instanceof Float32Array ? addon.maskByKept(dy, kept, size) : tsBackend.maskByKept(dy, kept, size),
    projectTopK: (p) => nativeProjectTopK(addon, p),
    crossEntropy: (logits, targets, v, dLogits, scale) =>
      allF32(logits, dLogits)
        ? addon.crossEntropy(logits as Float32Array, targets, v, orNull(dLogits), scale)
        : tsBackend.crossEntropy(logits, targets, v, dLogits, scale),
  };
  return { backend, addon, build };
}
