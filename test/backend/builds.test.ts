// Results must not depend on which build of the addon runs them (docs/sparse-compute.md, "One logical
// width"): the x86-64-v3 build (AVX2, what most laptops run) and this machine's native build must give
// the same bytes for a model forward, a training step and a masked prune loss with its gradient. On an
// AVX-512 machine the two builds use different instruction sets; on an AVX2 machine, different tunings.
// The x86-64-v3 build is made here when missing or stale (scripts/build-addon.mjs, ~40 s once; later
// runs reuse it). A machine that cannot build it fails this file with the build's own error; a native
// build older than src/native fails it too (every native test would be running old code: rebuild it).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backend } from "../../src/backend/backend.js";
import { setBackend } from "../../src/backend/index.js";
import {
  loadNativeAddon,
  loadNativeBackend,
  type LoadedBuild,
  type NativeAddon,
} from "../../src/backend/native.js";
import { forward } from "../../src/model/gpt.js";
import type { Model } from "../../src/model/model.js";
import { constantBaselines } from "../../src/circuit/ablation.js";
import { frozenModel, maskedLossGradient } from "../../src/circuit/masked_run.js";
import { nodeLayout } from "../../src/circuit/nodes.js";
import { groupByLength, type TaskSequence } from "../../src/circuit/task_data.js";
import { initModel } from "../../src/train/init.js";
import { createLearner, trainStep } from "../../src/train/step.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../../src/train/train_config.js";
import { REPO } from "../helpers/cli.js";
import { randomModel, randomTokens, testConfig } from "../helpers/models.js";
import { rng } from "../helpers/random.js";
import { GEMM_TRANSPOSES, randomCsr, randomF32 } from "./helpers.js";

const MARCHES = ["native", "x86-64-v3"] as const;

function buildAddon(
  march: string,
  mode: "--if-stale" | "--check",
): { status: number | null; output: string } {
  const script = join(REPO, "scripts", "build-addon.mjs");
  const r = spawnSync(process.execPath, [script, "--march", march, mode], {
    cwd: REPO,
    encoding: "utf8",
    timeout: 300_000,
  });
  const output = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n").slice(-15).join("\n");
  return { status: r.error ? null : r.status, output: r.error ? r.error.message : output };
}

/** Builds (or finds up to date) the addon for `march`; throws with the build's output if it cannot. */
function ensureBuilt(march: string): void {
  const { status, output } = buildAddon(march, "--if-stale");
  if (status !== 0)
    throw new Error(
      `could not build the -march=${march} addon (scripts/build-addon.mjs; it needs node-gyp's toolchain: ` +
        `a C++17 compiler, make and python3), exit ${status}:\n${output}`,
    );
}

/** Throws unless the addon for `march` was built from the current sources. */
function expectUpToDate(march: string): void {
  const { status, output } = buildAddon(march, "--check");
  if (status !== 0) throw new Error(output);
}

interface Build {
  march: string;
  backend: Backend;
  addon: NativeAddon;
  info: LoadedBuild;
}

function load(march: string): Build {
  const { backend, build, error } = loadNativeBackend(march);
  const { addon } = loadNativeAddon(march);
  if (!backend || !build || !addon) throw new Error(`the -march=${march} addon does not load: ${error}`);
  return { march, backend, addon, info: build };
}

/** Bytes of every array, named; two builds' results must match name by name, byte for byte. */
type Results = Map<string, Float32Array | Float64Array>;

function expectSameBytes(a: Results, b: Results, what: string): void {
  expect([...b.keys()]).toEqual([...a.keys()]);
  for (const [name, x] of a) {
    const y = b.get(name)!;
    expect(y.length, `${what}: ${name} length`).toBe(x.length);
    const bx = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    const by = new Uint8Array(y.buffer, y.byteOffset, y.byteLength);
    const at = bx.findIndex((v, i) => v !== by[i]);
    if (at >= 0) {
      const i = Math.floor(at / x.BYTES_PER_ELEMENT);
      expect.fail(
        `${what}: ${name}[${i}] differs between the builds: ${MARCHES[0]} ${x[i]}, ${MARCHES[1]} ${y[i]}`,
      );
    }
  }
}

/** The model every check uses: AbsTopK, a sink, a bigram table, and weights both dense and sparse. */
const CONFIG = testConfig({
  block_size: 40,
  vocab_size: 203,
  n_layer: 2,
  n_head: 4,
  d_head: 16,
  d_model: 64,
  d_mlp: 176,
  afrac: 0.25,
  afrac_loctypes: "attn_in,attn_out,mlp_in,mlp_out",
  sink: true,
  enable_bigram_table: true,
});

function testModel(): Model<Float32Array> {
  const model = randomModel(CONFIG, 7, "f32");
  // Two matrices below the sparse threshold, so that the CSR kernels run as well as dense GEMM.
  const r = rng(3);
  for (const name of ["transformer.h.0.mlp.c_fc.weight", "transformer.h.1.attn.c_attn.weight"]) {
    const w = model.params.get(name)!.data;
    for (let i = 0; i < w.length; i++) if (r() < 0.85) w[i] = 0;
  }
  return model;
}

describe("every build of the addon gives the same bytes", () => {
  let builds: Build[] = [];
  beforeAll(() => {
    expectUpToDate("native");
    ensureBuilt("x86-64-v3");
    builds = MARCHES.map(load);
  }, 300_000);
  afterAll(() => {
    setBackend("native");
  });

  /** Runs f once per build, with that build's backend as the process's backend. */
  function perBuild(f: (b: Build) => Results): Results[] {
    return builds.map((b) => {
      setBackend(b.backend);
      return f(b);
    });
  }

  it("the two builds are what they say they are", () => {
    expect(builds.map((b) => b.info.march)).toEqual([...MARCHES]);
    const v3 = builds[1].info;
    expect(v3.simd).toMatchObject({ avx512f: false, avx2: true, fma: true });
    expect(builds.every((b) => b.info.logicalFloatLanes === 16)).toBe(true);
    expect(builds[0].info.path).not.toBe(v3.path);
  });

  it("a model forward: the logits", () => {
    const [a, b] = perBuild(() => {
      const model = testModel();
      const out: Results = new Map();
      // 3×37 tokens (blocked kernels, partial vectors) and one token (the few-row paths).
      for (const [bs, t] of [
        [3, 37],
        [1, 1],
      ]) {
        const ids = randomTokens(bs * t, CONFIG.vocab_size, 11 + t);
        out.set(`logits ${bs}x${t}`, forward(model, ids, bs, t).logits.data as Float32Array);
      }
      return out;
    });
    expectSameBytes(a, b, "forward");
  });

  it("training steps: every parameter after the update, exact and fast weight gradients", () => {
    const train: TrainConfig = {
      ...DEFAULT_TRAIN_CONFIG,
      total_steps: 8,
      global_bs: 3,
      n_ctx: 24,
      lr: 0.02,
      pfrac: 1,
      expansion_factor: 2,
      expansion_factor_mlp: 2,
      pfrac_anneal_start_frac: 0,
      pfrac_anneal_stop_frac: 0.25,
      dense_grad_every: 2,
    };
    for (const mode of ["exact", "fast"] as const) {
      const [a, b] = perBuild(() => {
        const learner = createLearner(initModel(CONFIG, 5), { ...train, weight_grad_mode: mode });
        const losses: number[] = [];
        // Step 0 is dense; from step 2 on the matrices are at their target sparsity (sparse kernels).
        for (let step = 0; step < 4; step++) {
          const tokens = randomTokens(train.global_bs * train.n_ctx, CONFIG.vocab_size, 100 + step);
          losses.push(trainStep(learner, step, { tokens, b: train.global_bs, t: train.n_ctx }).loss);
        }
        const out: Results = new Map([["losses", Float64Array.from(losses)]]);
        for (const [name, p] of learner.model.params) out.set(name, p.data);
        return out;
      });
      expectSameBytes(a, b, `training (${mode})`);
    }
  });

  it("a masked prune loss and its gradient with respect to the mask", () => {
    const [a, b] = perBuild(() => {
      const model = testModel();
      const layout = nodeLayout(model.dims);
      const r = rng(5);
      const means = new Map(
        layout.sites.map((s) => [s.name, Float32Array.from({ length: s.width }, () => r() - 0.5)]),
      );
      const ctx = { model, frozen: frozenModel(model), layout, baselines: constantBaselines("mean", means) };
      const seqs: TaskSequence[] = [19, 19, 33, 7, 33].map((len, i) => ({
        ids: randomTokens(len, CONFIG.vocab_size, 20 + i),
        correct: (3 * i) % CONFIG.vocab_size,
        alt: (3 * i + 5) % CONFIG.vocab_size,
      }));
      const mask = Float32Array.from({ length: layout.total }, (_, i) => 0.25 + 0.25 * ((i * 7) % 3));
      const dMask = new Float64Array(layout.total);
      const loss = maskedLossGradient(ctx, groupByLength(seqs), mask, { dMask });
      return new Map<string, Float32Array | Float64Array>([
        ["loss", Float64Array.of(loss)],
        ["dMask", dMask],
      ]);
    });
    expect(Math.max(...[...(a.get("dMask") as Float64Array)].map(Math.abs))).toBeGreaterThan(0);
    expectSameBytes(a, b, "prune");
  });

  it("each kernel on awkward shapes (tails, few rows, wide rows)", () => {
    const [a, b] = perBuild(({ addon }) => kernelResults(addon));
    expectSameBytes(a, b, "kernels");
  });
});

/** Every float kernel of the addon once or twice, on shapes that reach its tails and special paths. */
function kernelResults(k: NativeAddon): Results {
  const out: Results = new Map();
  const put = (name: string, ...arrays: (Float32Array | Float64Array)[]) =>
    arrays.forEach((a, i) => out.set(`${name} #${i}`, a));
  const f = (n: number, seed: number, scale = 1) => randomF32(n, seed).map((x) => x * scale);
  for (const [m, n, kk] of [
    [1, 33, 70],
    [3, 100, 37],
    [37, 45, 200],
    [130, 70, 530],
  ]) {
    for (const [ta, tb] of GEMM_TRANSPOSES) {
      const c = f(m * n, 3);
      k.gemm(ta, tb, m, n, kk, f(m * kk, 1), f(kk * n, 2), c, true);
      out.set(`gemm ${m}x${n}x${kk} ${ta} ${tb}`, c);
    }
  }
  for (const [rows, cols, density] of [
    [40, 70, 0.2],
    [64, 4096, 0.02],
    [4096, 64, 0.02],
  ]) {
    const w = randomCsr(rows, cols, density, rows + cols);
    for (const m of [3, 37, 100]) {
      const y = f(m * rows, 5);
      k.spmmNT(m, f(m * cols, 4), rows, cols, w.rowPtr, w.colIdx, w.values, y, true, f(rows, 9));
      const dx = f(m * cols, 6);
      k.spmmNN(m, f(m * rows, 7), rows, cols, w.rowPtr, w.colIdx, w.values, dx, true);
      const s = new Float32Array(w.values.length);
      k.sddmm(m, f(m * rows, 8), f(m * cols, 9), rows, cols, w.rowPtr, w.colIdx, s);
      put(`spmm ${rows}x${cols} m${m}`, y, dx, s);
    }
  }
  for (const [n, rows, cols] of [
    [37, 45, 100],
    [300, 200, 150],
  ]) {
    const keep = f(n * rows, 26);
    const dy = f(n * rows, 25).map((v, i) => (Math.abs(keep[i]) < 0.25 ? v : 0));
    const dw = f(rows * cols, 27);
    k.gemmSparseA(true, false, rows, cols, n, dy, f(n * cols, 28), dw, true);
    // The forward's form: X (here dy's pattern, [n, rows]) times a transposed weight [cols, rows].
    const y = new Float32Array(n * cols);
    k.gemmSparseA(false, true, n, cols, rows, dy, f(cols * rows, 29), y, false);
    put(`gemmSparseA ${n}x${rows}x${cols}`, dw, y);
  }
  for (const [bs, t, h, dh] of [
    [2, 37, 2, 16],
    [1, 70, 3, 24],
    [1, 100, 2, 64],
  ]) {
    const n = bs * t * h * dh;
    const q = f(n, 11, 2),
      kk = f(n, 12, 2),
      v = f(n, 13),
      sink = f(h, 14);
    const y = new Float32Array(n),
      probs = new Float32Array(bs * h * t * t),
      pSink = new Float32Array(bs * h * t);
    k.attentionForward(bs, t, h, dh, q, kk, v, sink, y, probs, pSink);
    const dq = new Float32Array(n),
      dk = new Float32Array(n),
      dv = new Float32Array(n),
      dSink = new Float32Array(h);
    k.attentionBackward(bs, t, h, dh, f(n, 15), q, kk, v, probs, pSink, dq, dk, dv, dSink);
    put(`attention ${bs}x${t}x${h}x${dh}`, y, probs, pSink, dq, dk, dv, dSink);
  }
  const x = f(70001, 22, 8);
  const gelu = new Float32Array(x.length),
    dGelu = new Float32Array(x.length);
  k.gelu(x, gelu, x.length);
  k.geluBackward(x, f(x.length, 23), dGelu, x.length);
  put("gelu", gelu, dGelu);
  const topk = f(4 * 2048, 21);
  k.absTopK(topk, 4, 2048, 512, new Uint8Array(topk.length));
  out.set("absTopK", topk);
  for (const [rows, d] of [
    [3, 37],
    [40, 768],
  ]) {
    const xs = f(rows * d, 24),
      w = f(d, 25),
      norm = new Float32Array(rows * d),
      rstd = new Float32Array(rows);
    k.rmsNormForward(xs, w, rows, d, norm, rstd, d, d, 0, 1.1920928955078125e-7);
    const dx = f(rows * d, 26),
      dw = f(d, 27);
    k.rmsNormBackward(f(rows * d, 28), xs, w, rstd, rows, d, dx, dw, d, 0);
    put(`rmsNorm ${rows}x${d}`, norm, rstd, dx, dw);
  }
  for (const [rows, v] of [
    [3, 50],
    [4, 5003],
  ]) {
    const logits = f(rows * v, 31, 8),
      dLogits = new Float32Array(rows * v);
    const targets = Int32Array.from({ length: rows }, (_, i) => (i === 1 ? -1 : (i * 7) % v));
    const { loss } = k.crossEntropy(logits, targets, v, dLogits, 0.7);
    out.set(`crossEntropy ${rows}x${v}`, dLogits);
    out.set(`crossEntropy ${rows}x${v} loss`, Float64Array.of(loss));
  }
  const p = f(100003, 32),
    g = f(p.length, 33),
    m1 = f(p.length, 34, 0.1),
    v2 = f(p.length, 35, 0.1).map(Math.abs);
  k.adamUpdate(p, g, m1, v2, 0.9, 0.95, 0.1, 0.05, 0.01, 0.3, 0.1);
  put("adam", p, m1, v2);
  out.set("sumSquares", Float64Array.of(k.sumSquares([p, g])));
  return out;
}
