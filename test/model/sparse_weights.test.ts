import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { getBackend, type Backend } from "../../src/backend/index.js";
import { loadModel, saveModel } from "../../src/model/checkpoint.js";
import { backward, forward } from "../../src/model/gpt.js";
import { hookMatcher } from "../../src/model/hooks.js";
import { StepWorkspace } from "../../src/model/workspace.js";
import { weightsHash } from "../../src/model/model_hash.js";
import type { Model } from "../../src/model/model.js";
import {
  linearWeightNames,
  markWeightsChanged,
  sparseWeight,
  transposeCsr,
} from "../../src/model/sparse_weights.js";
import { csrFromDense, csrToDense } from "../../src/tensor/sparse.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { BACKENDS, useBackend } from "../helpers/backends.js";
import { PARITY_CASES, loadParityCase, relMaxError } from "../helpers/fixtures.js";

/** A copy of `model` whose linear weights keep only entries where a seeded hash says so (~1 in 3). */
function sparsified(model: Model): Model {
  const params = new Map(model.params);
  let seed = 12345;
  for (const name of linearWeightNames(model)) {
    const t = model.params.get(name)!.clone();
    for (let i = 0; i < t.data.length; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      if (seed % 3 !== 0) t.data[i] = 0;
    }
    params.set(name, t);
  }
  return { ...model, params };
}

/** The backend with call counters on the linear-layer kernels. */
function counting(be: Backend): { be: Backend; calls: Record<string, number> } {
  const calls: Record<string, number> = { gemm: 0, spmmNT: 0, spmmNN: 0, sddmm: 0, gemmSparseA: 0 };
  return {
    calls,
    be: {
      ...be,
      gemm: (...a) => (calls.gemm++, be.gemm(...a)),
      spmmNT: (...a) => (calls.spmmNT++, be.spmmNT(...a)),
      spmmNN: (...a) => (calls.spmmNN++, be.spmmNN(...a)),
      sddmm: (...a) => (calls.sddmm++, be.sddmm(...a)),
      gemmSparseA: (...a) => (calls.gemmSparseA++, be.gemmSparseA(...a)),
    },
  };
}

/**
 * How many linear layers see an operand that went through an AbsTopK, from the config alone: x in the
 * forward (c_attn after attn_in, c_fc after mlp_in, the MLP's c_proj after mlp_neuron) and dY in the
 * backward (c_attn after q, k and v, the attention's c_proj after attn_out, c_fc after mlp_neuron, the
 * MLP's c_proj after mlp_out). lm_head and the attention's c_proj input never do.
 */
function sparseOperands(model: Model): { x: number; dy: number } {
  const on = new Set(model.config.afrac === null ? [] : model.config.afrac_loctypes.split(","));
  const count = (flags: boolean[]) => flags.filter(Boolean).length * model.dims.nLayer;
  return {
    x: count([on.has("attn_in"), on.has("mlp_in"), on.has("mlp_neuron")]),
    dy: count([
      on.has("attn_q") && on.has("attn_k") && on.has("attn_v"),
      on.has("attn_out"),
      on.has("mlp_neuron"),
      on.has("mlp_out"),
    ]),
  };
}

for (const backendName of BACKENDS) {
  describe(`sparse weight path (${backendName} backend)`, () => {
    beforeAll(() => useBackend(backendName));
    for (const name of PARITY_CASES) {
      describe(name, () => {
        const { expected, model, ids, targets, b, t } = loadParityCase(name);

        it("forced on, matches the reference: logits, hooks, dense gradients", () => {
          const { be, calls } = counting(getBackend());
          const fwd = forward(model, ids, b, t, {
            targets,
            record: hookMatcher(".*"),
            keepCache: true,
            sparseThreshold: 1,
            backend: be,
          });
          // Every linear layer went sparse: no dense product at all in the forward (c_attn as three
          // products, one per q, k and v, from its rows).
          expect(calls.gemm).toBe(0);
          expect(calls.spmmNT).toBe(6 * model.dims.nLayer + 1);
          expect(relMaxError(fwd.logits.data, expected.get("logits")!.data)).toBeLessThan(1e-5);
          const hookKeys = [...expected.keys()].filter((k) => k.startsWith("hook/"));
          expect(hookKeys.length).toBe(2 * 11 + 1);
          for (const key of hookKeys) {
            const got = fwd.hooks.get(key.slice(5))!;
            expect(relMaxError(got.data, expected.get(key)!.data), key).toBeLessThan(1e-5);
          }
          const { grads } = backward(model, fwd, { backend: be });
          // dx of each linear layer on the sparse kernel; dW as the dense product, from dY's nonzeros
          // where dY went through an AbsTopK (every layer's four weights with activation sparsity;
          // never lm_head, whose dY is the logits' gradient).
          expect(calls.spmmNT).toBe(6 * model.dims.nLayer + 1 + (4 * model.dims.nLayer + 1));
          const sparseDy = sparseOperands(model).dy;
          expect(calls.gemmSparseA).toBe(sparseDy);
          expect(calls.gemm).toBe(4 * model.dims.nLayer + 1 - sparseDy);
          const gradKeys = [...expected.keys()].filter((k) => k.startsWith("grad/"));
          expect([...grads.keys()].sort()).toEqual(gradKeys.map((k) => k.slice(5)).sort());
          for (const key of gradKeys) {
            const got = grads.get(key.slice(5))!.data;
            expect(relMaxError(got, expected.get(key)!.data), key).toBeLessThan(1e-4);
          }
        });

        it("dense weights: products whose other operand went through an AbsTopK skip its zeros, and match the reference", () => {
          const { be, calls } = counting(getBackend());
          const fwd = forward(model, ids, b, t, {
            targets,
            keepCache: true,
            sparseThreshold: 0,
            backend: be,
          });
          const operands = sparseOperands(model);
          // The forward's linear layers: c_attn (one product), c_proj, c_fc, c_proj per layer, and lm_head.
          expect(calls.gemmSparseA).toBe(operands.x);
          expect(calls.gemm).toBe(4 * model.dims.nLayer + 1 - operands.x);
          expect(relMaxError(fwd.logits.data, expected.get("logits")!.data)).toBeLessThan(1e-5);
          calls.gemm = calls.gemmSparseA = 0;
          const { grads } = backward(model, fwd, { backend: be });
          // dX and dW of each of those layers.
          expect(calls.gemmSparseA).toBe(2 * operands.dy);
          expect(calls.gemm).toBe(2 * (4 * model.dims.nLayer + 1 - operands.dy));
          for (const key of [...expected.keys()].filter((k) => k.startsWith("grad/"))) {
            expect(relMaxError(grads.get(key.slice(5))!.data, expected.get(key)!.data), key).toBeLessThan(
              1e-4,
            );
          }
        });

        it("masked weight gradients equal the dense ones at the nonzeros and are 0 elsewhere", () => {
          const sparse = sparsified(model);
          const run = () => forward(sparse, ids, b, t, { targets, keepCache: true, sparseThreshold: 0.5 });
          const dense = backward(sparse, run(), { weightGrad: "dense" }).grads;
          const { be, calls } = counting(getBackend());
          const masked = backward(sparse, run(), { weightGrad: "masked", backend: be }).grads;
          expect(calls.gemm).toBe(0);
          expect(calls.sddmm).toBe(4 * model.dims.nLayer + 1);
          const linear = new Set(linearWeightNames(sparse));
          for (const [key, g] of dense) {
            const m = masked.get(key)!.data;
            if (!linear.has(key)) {
              expect(relMaxError(m, g.data), key).toBeLessThan(1e-6);
              continue;
            }
            const w = sparse.params.get(key)!.data;
            let zerosSeen = 0;
            let maxErr = 0;
            let scale = 0;
            for (let i = 0; i < w.length; i++) {
              scale = Math.max(scale, Math.abs(g.data[i]));
              if (w[i] === 0) {
                zerosSeen++;
                expect(m[i], `${key}[${i}]`).toBe(0);
              } else {
                maxErr = Math.max(maxErr, Math.abs(m[i] - g.data[i]));
              }
            }
            expect(zerosSeen, key).toBeGreaterThan(w.length / 2);
            expect(maxErr / scale, key).toBeLessThan(1e-5);
            // The dense gradient is nonzero where the weight is zero, or this proves nothing.
            expect(relMaxError(m, g.data), key).toBeGreaterThan(1e-3);
          }
        });
      });
    }
  });
}

describe("sparse weight cache", () => {
  const { dir, ids, targets, b, t } = loadParityCase("dense-plain");
  beforeAll(() => useBackend("ts"));

  it("takes the sparse form only at or below the density threshold", () => {
    const w = new Float32Array([1, 0, 0, 0, 0, 2, 0, 3]); // density 3/8
    expect(sparseWeight(w, 2, 4, 0.25, getBackend())).toBeUndefined();
    expect(sparseWeight(w, 2, 4, 0, getBackend())).toBeUndefined();
    const s = sparseWeight(w, 2, 4, 0.375, getBackend())!;
    expect(Array.from(csrToDense(s.csr))).toEqual([1, 0, 0, 0, 0, 2, 0, 3]);
    expect(Array.from(csrToDense(s.transposed()))).toEqual([1, 0, 0, 2, 0, 0, 0, 3]);
    expect(sparseWeight(new Float64Array(w), 2, 4, 1, getBackend())).toBeUndefined();
  });

  it("counts and builds the CSR on the backend it is given, not the global one", () => {
    const calls: string[] = [];
    const global = getBackend();
    const given: Backend = {
      ...global,
      countNonzeros: (a) => {
        calls.push("countNonzeros");
        return global.countNonzeros(a);
      },
      csrFromDense: (dense, rows, cols, nnz) => {
        calls.push(`csrFromDense(nnz ${nnz})`);
        return global.csrFromDense(dense, rows, cols, nnz);
      },
    };
    const s = sparseWeight(new Float32Array([0, 4, 0, 0, 0, 0, 5, 0]), 2, 4, 0.25, given)!;
    // The count is taken once and handed to the CSR builder, not taken again there.
    expect(calls).toEqual(["countNonzeros", "csrFromDense(nnz 2)"]);
    expect(Array.from(csrToDense(s.csr))).toEqual([0, 4, 0, 0, 0, 0, 5, 0]);
  });

  it("transposeCsr matches the CSR of the transposed matrix", () => {
    const rows = 7;
    const cols = 5;
    const dense = new Float32Array(rows * cols);
    const denseT = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) {
        const v = (r * 3 + c * 5) % 4 === 0 ? r * 10 + c + 1 : 0;
        dense[r * cols + c] = v;
        denseT[c * rows + r] = v;
      }
    expect(transposeCsr(csrFromDense(dense, rows, cols))).toEqual(csrFromDense(denseT, cols, rows));
  });

  it("rebuilds after markWeightsChanged, and after backward(); serves the cached form otherwise", () => {
    const model = sparsified(loadModel(dir));
    const opts = { sparseThreshold: 1 };
    const base = forward(model, ids, b, t, opts).logits.data;
    const lm = model.params.get("lm_head.weight")!.data;
    const old = lm.slice();
    for (let i = 0; i < lm.length; i++) lm[i] *= 2;
    const dense = forward(model, ids, b, t, { sparseThreshold: 0 }).logits.data;
    expect(relMaxError(dense, base)).toBeGreaterThan(1e-2);
    // Written in place without notice: the cached CSR still holds the old values.
    expect(relMaxError(forward(model, ids, b, t, opts).logits.data, base)).toBe(0);
    markWeightsChanged(model, ["lm_head.weight"]);
    expect(relMaxError(forward(model, ids, b, t, opts).logits.data, dense)).toBeLessThan(1e-6);
    // backward() forgets the forms of the weights it differentiates: the optimizer writes them next.
    const fwd = forward(model, ids, b, t, { ...opts, targets, keepCache: true });
    backward(model, fwd);
    lm.set(old);
    expect(relMaxError(forward(model, ids, b, t, opts).logits.data, base)).toBeLessThan(1e-6);
    // A model sharing the tensor shares its form; a replaced tensor gets its own.
    const copy = { ...model, params: new Map(model.params) };
    copy.params.set(
      "lm_head.weight",
      new Tensor(
        lm.map((v) => v * 2),
        [...model.params.get("lm_head.weight")!.shape],
      ),
    );
    expect(relMaxError(forward(copy, ids, b, t, opts).logits.data, dense)).toBeLessThan(1e-6);
  });
});

describe("matrices loaded from sparse storage stay sparse", () => {
  const { dir, ids, targets, b, t } = loadParityCase("sink-afrac");
  beforeAll(() => useBackend("ts"));

  /** The parity model with sparsified linear weights, saved (sparse storage) and loaded back. */
  function savedSparse(): { model: Model; reloaded: () => Model } {
    const model = sparsified(loadModel(dir));
    const out = mkdtempSync(join(tmpdir(), "csp-held-"));
    saveModel(out, model);
    return { model, reloaded: () => loadModel(out) };
  }

  it("loads linear weights as CSR only, and a forward on the sparse path never builds them dense", () => {
    const { model, reloaded } = savedSparse();
    const held = reloaded();
    const names = linearWeightNames(held);
    for (const name of names) expect(held.params.get(name)!.heldCsr, name).toBeDefined();
    const want = forward(model, ids, b, t, { sparseThreshold: 1 }).logits.data;
    const got = forward(held, ids, b, t, { sparseThreshold: 1 }).logits.data;
    expect(relMaxError(got, want)).toBe(0);
    for (const name of names) expect(held.params.get(name)!.heldCsr, name).toBeDefined();
    // The dense data, built on demand, is the saved matrix exactly (sparse storage drops -0's sign).
    const plusZero = (a: ArrayLike<number>) => Array.from(a, (v) => v + 0);
    for (const name of names) {
      const t2 = held.params.get(name)!;
      expect(plusZero(t2.data), name).toEqual(plusZero(model.params.get(name)!.data));
      expect(t2.heldCsr, name).toBeUndefined();
    }
  });

  it("hashes like the dense matrices without building them (circuit files name the weights by hash)", () => {
    const { reloaded } = savedSparse();
    const held = reloaded();
    const hash = weightsHash(held);
    for (const name of linearWeightNames(held)) expect(held.params.get(name)!.heldCsr, name).toBeDefined();
    const dense = reloaded();
    for (const name of linearWeightNames(dense))
      expect(dense.params.get(name)!.data.length).toBeGreaterThan(0);
    expect(weightsHash(dense)).toBe(hash);
    dense.params.get("lm_head.weight")!.data[3] += 1;
    expect(weightsHash(dense)).not.toBe(hash);
  });

  it("takes the dense path (building the matrix) above the threshold, with the same logits", () => {
    const { model, reloaded } = savedSparse();
    const held = reloaded();
    const want = forward(model, ids, b, t, { sparseThreshold: 0 }).logits.data;
    const got = forward(held, ids, b, t, { sparseThreshold: 0 }).logits.data;
    expect(relMaxError(got, want)).toBe(0);
    expect(held.params.get("lm_head.weight")!.heldCsr).toBeUndefined();
  });

  it("trains like a dense-loaded model: backward and in-place writes see the built matrices", () => {
    const { model, reloaded } = savedSparse();
    const held = reloaded();
    const gWant = backward(model, forward(model, ids, b, t, { targets, keepCache: true })).grads;
    const gGot = backward(held, forward(held, ids, b, t, { targets, keepCache: true })).grads;
    for (const [name, g] of gWant) expect(relMaxError(gGot.get(name)!.data, g.data), name).toBe(0);
    const lm = held.params.get("lm_head.weight")!.data;
    for (let i = 0; i < lm.length; i++) lm[i] *= 2;
    markWeightsChanged(held, ["lm_head.weight"]);
    const lmWant = model.params.get("lm_head.weight")!.data;
    for (let i = 0; i < lmWant.length; i++) lmWant[i] *= 2;
    markWeightsChanged(model, ["lm_head.weight"]);
    const want = forward(model, ids, b, t, { sparseThreshold: 1 }).logits.data;
    expect(relMaxError(forward(held, ids, b, t, { sparseThreshold: 1 }).logits.data, want)).toBe(0);
  });
});

for (const backendName of BACKENDS) {
  describe(`forward buffer reuse (${backendName} backend)`, () => {
    beforeAll(() => useBackend(backendName));
    const { model, ids, targets, b, t } = loadParityCase("sink-afrac");

    it("a cache-free forward (buffers reused across layers) equals a cached one, hooks included", () => {
      const record = hookMatcher(".*");
      const cached = forward(model, ids, b, t, { targets, keepCache: true, record });
      const reused = forward(model, ids, b, t, { targets, record });
      expect(Array.from(reused.logits.data)).toEqual(Array.from(cached.logits.data));
      expect(reused.loss).toBe(cached.loss);
      expect([...reused.hooks.keys()]).toEqual([...cached.hooks.keys()]);
      for (const [name, h] of cached.hooks)
        expect(Array.from(reused.hooks.get(name)!.data), name).toEqual(Array.from(h.data));
    });

    it("an intervention may keep the activation it was given: it is not overwritten by later layers", () => {
      const seen: Tensor[] = [];
      const capture = {
        forward: (x: Tensor) => {
          seen.push(x);
          return x;
        },
      };
      const interventions = new Map([
        ["0.mlp.post_act", capture],
        ["1.mlp.post_act", capture],
      ]);
      forward(model, ids, b, t, { interventions });
      const rec = forward(model, ids, b, t, { record: hookMatcher("\\d+\\.mlp\\.post_act") }).hooks;
      expect(Array.from(seen[0].data)).toEqual(Array.from(rec.get("0.mlp.post_act")!.data));
      expect(Array.from(seen[1].data)).toEqual(Array.from(rec.get("1.mlp.post_act")!.data));
    });
  });
}

describe("a step workspace", () => {
  beforeAll(() => useBackend("native"));
  const { model, ids, targets, b, t } = loadParityCase("sink-afrac");

  it("gives the same loss and gradients as fresh arrays, pass after pass", () => {
    const ws = new StepWorkspace();
    const other = ids.map((v, i) => (v + 3 * i) % model.dims.vocab);
    const run = (tokens: Int32Array, workspace?: StepWorkspace) => {
      const fwd = forward(model, tokens, b, t, { targets, keepCache: true, workspace });
      return { loss: fwd.loss, logits: Array.from(fwd.logits.data), grads: backward(model, fwd).grads };
    };
    for (const tokens of [ids, other, ids]) {
      const want = run(tokens);
      const got = run(tokens, ws);
      expect(got.loss).toBe(want.loss);
      expect(got.logits).toEqual(want.logits);
      for (const [name, g] of want.grads)
        expect(Array.from(got.grads.get(name)!.data), name).toEqual(Array.from(g.data));
    }
  });

  for (const [name, backend] of PARITY_CASES.flatMap((p) => BACKENDS.map((be) => [p, be] as const))) {
    it(`${name}, ${backend}: no kernel reads a scratch array before writing it (scratch arrays poisoned with NaN)`, () => {
      useBackend(backend);
      const c = loadParityCase(name);
      const ws = new StepWorkspace({ poisonScratch: true });
      const run = (workspace?: StepWorkspace) => {
        const fwd = forward(c.model, c.ids, c.b, c.t, { targets: c.targets, keepCache: true, workspace });
        return { loss: fwd.loss, logits: Array.from(fwd.logits.data), grads: backward(c.model, fwd).grads };
      };
      const want = run();
      for (let pass = 0; pass < 2; pass++) {
        const got = run(ws);
        expect(got.loss, `pass ${pass}`).toBe(want.loss);
        expect(got.logits, `pass ${pass}`).toEqual(want.logits);
        for (const [g, wantGrad] of want.grads)
          expect(Array.from(got.grads.get(g)!.data), `pass ${pass} ${g}`).toEqual(Array.from(wantGrad.data));
      }
      useBackend("native");
    });
  }

  it("serves passes of other shapes, and forward passes alone, from the same memory", () => {
    const ws = new StepWorkspace();
    const short = t - 2;
    const shortIds = new Int32Array(b * short);
    for (let r = 0; r < b; r++) shortIds.set(ids.subarray(r * t, r * t + short), r * short);
    const runs: [Int32Array, number, boolean][] = [
      [ids, t, true],
      [shortIds, short, true],
      [ids, t, false],
      [shortIds, short, false],
      [ids, t, true],
    ];
    const firstLogits = new Map<boolean, ArrayBufferLike>();
    for (const [tokens, len, keepCache] of runs) {
      const want = forward(model, tokens, b, len, { keepCache });
      const got = forward(model, tokens, b, len, { keepCache, workspace: ws });
      expect(Array.from(got.logits.data), `T=${len} keepCache=${keepCache}`).toEqual(
        Array.from(want.logits.data),
      );
      // The first pass's logits array (the longest asked for in its place) holds the later ones'.
      const buffer = got.logits.data.buffer;
      if (!firstLogits.has(keepCache)) firstLogits.set(keepCache, buffer);
      expect(buffer, `T=${len} keepCache=${keepCache}`).toBe(firstLogits.get(keepCache));
      if (keepCache) {
        const g = backward(model, got, { dLogits: new Float32Array(got.logits.size).fill(0.01) }).grads;
        const w = backward(model, want, { dLogits: new Float32Array(want.logits.size).fill(0.01) }).grads;
        for (const [name, x] of w) expect(Array.from(g.get(name)!.data), name).toEqual(Array.from(x.data));
      }
    }
  });
});

describe("backward into reused gradient buffers", () => {
  beforeAll(() => useBackend("native"));
  const { model, ids, targets, b, t } = loadParityCase("sink-afrac");

  it("zeroes and fills the given arrays, with the same gradients as fresh ones", () => {
    const fresh = backward(model, forward(model, ids, b, t, { targets, keepCache: true })).grads;
    const buffers = new Map<string, Tensor>();
    for (const [name, g] of fresh) buffers.set(name, new Tensor(new Float32Array(g.size).fill(7), g.shape));
    const reused = backward(model, forward(model, ids, b, t, { targets, keepCache: true }), {
      gradBuffers: buffers,
    }).grads;
    for (const [name, g] of fresh) {
      expect(reused.get(name), name).toBe(buffers.get(name));
      expect(Array.from(reused.get(name)!.data), name).toEqual(Array.from(g.data));
    }
  });
});
