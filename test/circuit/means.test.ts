import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeSafetensors } from "../../src/io/safetensors.js";
import { computeMeans, loadMeans, MEANS_FILE, saveMeans, spreadWindows } from "../../src/circuit/means.js";
import { weightsHash } from "../../src/model/model_hash.js";
import { nodeLayout } from "../../src/circuit/nodes.js";
import { randomModel, randomTokens, testConfig } from "../helpers/models.js";

describe("pretraining means", () => {
  it("spreads windows evenly over the stream, first at 0 and last at the end", () => {
    const stream = Array.from({ length: 20 }, (_, i) => 100 + i);
    expect([...spreadWindows(stream, 3, 4, "s")]).toEqual([
      100, 101, 102, 103, 108, 109, 110, 111, 116, 117, 118, 119,
    ]);
    expect(() => spreadWindows(stream, 1, 21, "shard.bin")).toThrow(
      /shard\.bin: holds 20 tokens, fewer than one window of 21/,
    );
  });

  it("of a model without layers: the mean of token plus position embeddings", () => {
    const model = randomModel(testConfig({ n_layer: 0 }), 3, "f32");
    const layout = nodeLayout(model.dims);
    expect(layout.sites.map((s) => s.name)).toEqual(["final_resid"]);
    const [count, length, d] = [5, 4, model.dims.dModel];
    const windows = randomTokens(count * length, model.dims.vocab, 9);
    const wte = model.params.get("transformer.wte.weight")!.data;
    const wpe = model.params.get("transformer.wpe.weight")!.data;
    const expected = new Float64Array(d);
    for (let i = 0; i < count * length; i++)
      for (let c = 0; c < d; c++)
        expected[c] += (wte[windows[i] * d + c] + wpe[(i % length) * d + c]) / (count * length);
    const means = computeMeans(model, layout, windows, length, { batch: 2 });
    const got = means.get("final_resid")!;
    for (let c = 0; c < d; c++) expect(got[c]).toBeCloseTo(expected[c], 5);
  });

  it("do not depend on how windows are batched, and cover every node site", () => {
    const model = randomModel(testConfig({ sink: true, afrac: 0.5 }), 4, "f32");
    const layout = nodeLayout(model.dims);
    const windows = randomTokens(6 * 5, model.dims.vocab, 2);
    const done: number[] = [];
    const a = computeMeans(model, layout, windows, 5, { batch: 1, onProgress: (n) => done.push(n) });
    const b = computeMeans(model, layout, windows, 5, { batch: 4 });
    expect(done).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...a.keys()]).toEqual(layout.sites.map((s) => s.name));
    for (const [name, v] of a) {
      expect(v).toHaveLength(layout.byName.get(name)!.width);
      const w = b.get(name)!;
      for (let i = 0; i < v.length; i++) expect(v[i]).toBeCloseTo(w[i], 5);
    }
  });

  it("are cached with the model and refused when stale, missing or misshapen", () => {
    const dir = mkdtempSync(join(tmpdir(), "csp-means-"));
    const model = randomModel(testConfig(), 5, "f32");
    const layout = nodeLayout(model.dims);
    expect(() => loadMeans(dir, model, layout)).toThrow(/means\.safetensors: missing; run `csp means/);
    const windows = randomTokens(3 * 4, model.dims.vocab, 1);
    const values = computeMeans(model, layout, windows, 4);
    saveMeans(join(dir, MEANS_FILE), {
      values,
      windows,
      count: 3,
      length: 4,
      meta: { source: "test", modelHash: weightsHash(model) },
    });
    const back = loadMeans(dir, model, layout);
    expect(back.values).toEqual(values);
    expect([...back.windows]).toEqual([...windows]);
    expect([back.count, back.length, back.meta.source]).toEqual([3, 4, "test"]);
    const other = randomModel(testConfig(), 6, "f32");
    expect(() => loadMeans(dir, other, layout)).toThrow(/made for other weights/);
    writeSafetensors(
      join(dir, MEANS_FILE),
      new Map([["0.attn.q", { dtype: "F32", shape: [2], data: new Float32Array(2) }]]),
    );
    expect(() => loadMeans(dir, model, layout)).toThrow(/"0\.attn\.act_in"|has 2 values/);
  });
});
