import { describe, expect, test } from "vitest";
import type { GPTConfig } from "../../src/model/config.js";
import { initModel } from "../../src/train/init.js";
import { Rng } from "../../src/random/rng.js";
import { keepCount, l0Fraction, pfracAt } from "../../src/train/schedule.js";
import { checkMinAliveFits, sparsityPlan } from "../../src/train/sparsity_plan.js";
import { createLearner, trainStep } from "../../src/train/step.js";
import { TINY_MODEL } from "./tiny_model.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../../src/train/train_config.js";

const MODEL: GPTConfig = {
  ...TINY_MODEL,
  afrac: 0.25,
  afrac_loctypes: "attn_in,attn_out,mlp_in,mlp_out,mlp_neuron,attn_v,attn_k,attn_q",
};

const TRAIN: TrainConfig = {
  ...DEFAULT_TRAIN_CONFIG,
  total_steps: 30,
  global_bs: 4,
  n_ctx: 16,
  lr: 0.01,
  pfrac: 1,
  expansion_factor: 2,
  expansion_factor_mlp: 2,
  pfrac_anneal_start_frac: 0,
  pfrac_anneal_stop_frac: 0.5,
  sparse_biases: true,
};

const nnz = (a: ArrayLike<number>) => {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) n++;
  return n;
};

function aliveCounts(w: Float32Array, rows: number, cols: number, axis: "rows" | "cols"): number[] {
  const counts = new Array<number>(axis === "rows" ? rows : cols).fill(0);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) if (w[r * cols + c] !== 0) counts[axis === "rows" ? r : c]++;
  return counts;
}

describe("the projection plan", () => {
  test("which tensors are pruned, by which rule, with which neurons", () => {
    const model = initModel(MODEL, 0);
    const plan = sparsityPlan(model.specs, MODEL, TRAIN);
    const byName = new Map(plan.map((t) => [t.name, t]));
    expect(byName.has("bigram_table")).toBe(false);
    expect(byName.get("transformer.wte.weight")!.rule).toBe("embed");
    expect(byName.get("lm_head.weight")!.rule).toBe("embed");
    expect(byName.get("transformer.wpe.weight")!.rule).toBe("weight");
    expect(byName.get("transformer.h.0.attn.c_attn.bias")!.rule).toBe("bias");
    expect(byName.get("transformer.h.0.attn.c_attn.weight")!.minAlive).toEqual({
      axis: "rows",
      perNeuron: 4,
    });
    expect(byName.get("transformer.h.1.mlp.c_fc.weight")!.minAlive).toEqual({ axis: "rows", perNeuron: 4 });
    expect(byName.get("transformer.h.0.attn.c_proj.weight")!.minAlive).toEqual({
      axis: "cols",
      perNeuron: 4,
    });
    expect(byName.get("transformer.h.1.mlp.c_proj.weight")!.minAlive).toEqual({ axis: "cols", perNeuron: 4 });
    expect(byName.has("transformer.h.0.ln_1.weight")).toBe(false);
    // script default: biases stay dense; dense training: nothing at all
    expect(
      sparsityPlan(model.specs, MODEL, { ...TRAIN, sparse_biases: false }).some((t) =>
        t.name.endsWith(".bias"),
      ),
    ).toBe(false);
    expect(sparsityPlan(model.specs, MODEL, { ...TRAIN, pfrac: null, sparse_biases: false })).toEqual([]);
    // a concatenated wpe is kept dense; a sinusoidal one is a buffer
    const cat = { ...MODEL, d_pos_emb: 8 };
    expect(sparsityPlan(initModel(cat, 0).specs, cat, TRAIN).some((t) => t.name.includes("wpe"))).toBe(false);
  });

  test("refuses a budget below min-alive before training", () => {
    const model = initModel(MODEL, 0);
    const tight = { ...TRAIN, pfrac: 0.25 }; // weights keep 1/16: c_attn [96, 32] k = 192 < 4·96
    expect(() => checkMinAliveFits(sparsityPlan(model.specs, MODEL, tight), tight, "test")).toThrow(
      /keeps only 192 entries of transformer\.h\.0\.attn\.c_attn\.weight.*min-alive needs 384/,
    );
  });
});

describe("sparsity invariants during training (sparse biases on, no warmup, anneal over steps 0..15)", () => {
  test("after every step each matrix holds exactly its scheduled nonzeros, neurons keep 4", () => {
    // No activation sparsity here: a bias feeding an AbsTopK whose channel is never kept gets an
    // exactly zero gradient, stays 0, and would make "exactly k nonzeros" unattainable. A sink for
    // the same reason: without one, adding a constant to every key shifts a query's scores alike and
    // leaves the softmax unchanged, so the key bias's gradient is zero up to rounding, and an entry
    // that rounds to exactly 0 stays 0 (it happened when GELU moved to float32).
    const learner = createLearner(initModel({ ...MODEL, afrac: null, sink: true }, 3), TRAIN);
    const rng = new Rng(8);
    const b = TRAIN.global_bs;
    const t = TRAIN.n_ctx;
    for (let step = 0; step <= TRAIN.total_steps; step++) {
      const tokens = Int32Array.from({ length: b * t }, () => rng.int(MODEL.vocab_size));
      const rec = trainStep(learner, step, { tokens, b, t });
      const pfrac = pfracAt(step, TRAIN);
      for (const target of learner.plan) {
        const w = learner.trained.get(target.name)! as Float32Array;
        const k = keepCount(l0Fraction(target.rule, pfrac, TRAIN), target.rows * target.cols);
        expect(rec.keep.get(target.name)!.k).toBe(k);
        const count = nnz(w);
        if (target.name === "transformer.wpe.weight") {
          // zero at init; the last position's row never gets a gradient (no target there)
          expect(count, `wpe at step ${step}`).toBe(Math.min(k, (t - 1) * MODEL.d_model));
        } else {
          expect(count, `${target.name} at step ${step}`).toBe(k);
        }
        if (target.minAlive) {
          const alive = aliveCounts(w, target.rows, target.cols, target.minAlive.axis);
          expect(Math.min(...alive), `${target.name} at step ${step}`).toBeGreaterThanOrEqual(4);
        }
      }
    }
    // at the end: weights 1/4, embeddings and biases 1/2
    expect(nnz(learner.trained.get("transformer.h.0.mlp.c_fc.weight")!)).toBe(1024);
    expect(nnz(learner.trained.get("transformer.wte.weight")!)).toBe(1024);
    expect(nnz(learner.trained.get("transformer.h.0.mlp.c_fc.bias")!)).toBe(64);
  });
});
