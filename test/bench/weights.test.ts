import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { countNonzero } from "../../src/tensor/sparse.js";
import { loadModel } from "../../src/model/checkpoint.js";
import { generateWeights, writeWeightsCheckpoint, type SparseEntry } from "../../bench/weights.js";
import { CSP_YOLO2 } from "../../bench/configs.js";

// The csp_yolo2 architecture at a small width: 2 layers, d_model 64, 8 heads × 8, d_mlp 256, 32
// concatenated positional channels, vocab 128, block 64.
const SMALL = {
  ...CSP_YOLO2,
  n_layer: 2,
  d_model: 64,
  n_head: 8,
  d_head: 8,
  d_mlp: 256,
  vocab_size: 128,
  block_size: 64,
};
const OPTS = { seed: 5, matrixDensity: 1 / 64, embedDensity: 1 / 16 };

// Expected nonzeros, worked out by hand: trunc(density · rows · cols).
const EXPECTED_NNZ: Record<string, number> = {
  "transformer.h.0.attn.c_attn.weight": Math.trunc((192 * 96) / 64), // [3·64, 64+32] → 288
  "transformer.h.0.attn.c_proj.weight": (64 * 64) / 64, // 64
  "transformer.h.0.mlp.c_fc.weight": (256 * 96) / 64, // 384
  "transformer.h.0.mlp.c_proj.weight": (64 * 256) / 64, // 256
  "transformer.wte.weight": (128 * 64) / 16, // 512
  "lm_head.weight": (128 * 64) / 16, // 512
};

describe("benchmark weight generator", () => {
  const weights = generateWeights(SMALL, OPTS);
  const tmp = mkdtempSync(join(tmpdir(), "csp-bench-test-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("keeps exactly trunc(density · numel) distinct, sorted, in-range nonzeros per pruned matrix", () => {
    expect(EXPECTED_NNZ["transformer.h.0.attn.c_attn.weight"]).toBe(288);
    const sparse = [...weights].filter(([, w]) => w.kind === "sparse") as [string, SparseEntry][];
    // 4 matrices per layer × 2 layers + wte + lm_head
    expect(sparse.length).toBe(10);
    for (const [name, w] of sparse) {
      const layerFree = name.replace(/\.h\.\d+\./, ".h.0.");
      expect(w.indices.length, name).toBe(EXPECTED_NNZ[layerFree]);
      const n = w.shape[0] * w.shape[1];
      for (let i = 0; i < w.indices.length; i++) {
        expect(w.indices[i] >= 0 && w.indices[i] < n, name).toBe(true);
        if (i > 0) expect(w.indices[i] > w.indices[i - 1], name).toBe(true);
        expect(w.values[i] !== 0, name).toBe(true);
      }
    }
  });

  it("is reproducible from its seed and changes with it", () => {
    const again = generateWeights(SMALL, OPTS);
    const other = generateWeights(SMALL, { ...OPTS, seed: 6 });
    const a = weights.get("transformer.h.1.mlp.c_fc.weight") as SparseEntry;
    const b = again.get("transformer.h.1.mlp.c_fc.weight") as SparseEntry;
    const c = other.get("transformer.h.1.mlp.c_fc.weight") as SparseEntry;
    expect(Array.from(b.indices)).toEqual(Array.from(a.indices));
    expect(Array.from(b.values)).toEqual(Array.from(a.values));
    expect(Array.from(c.indices)).not.toEqual(Array.from(a.indices));
  });

  it("writes a checkpoint the engine's loader reads back with the same nonzeros", () => {
    writeWeightsCheckpoint(join(tmp, "model"), SMALL, weights);
    const model = loadModel(join(tmp, "model"));
    for (const [name, nnz] of Object.entries(EXPECTED_NNZ)) {
      const dense = model.params.get(name)!.data;
      expect(countNonzero(dense), name).toBe(nnz);
      const w = weights.get(name) as SparseEntry;
      for (let i = 0; i < w.indices.length; i++) expect(dense[w.indices[i]]).toBe(w.values[i]);
    }
    // Dense entries come back unchanged too (the bigram table is dense in csp_yolo2).
    const bigram = weights.get("bigram_table")!;
    expect(bigram.kind).toBe("dense");
    expect(Array.from(model.params.get("bigram_table")!.data.subarray(0, 50))).toEqual(
      Array.from((bigram as { data: Float32Array }).data.subarray(0, 50)),
    );
  });
});
