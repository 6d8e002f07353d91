import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadModel, saveModel } from "../../src/model/checkpoint.js";
import { HookedModel } from "../../src/model/hooked_model.js";
import type { Model } from "../../src/model/model.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { BACKENDS, useBackend } from "../helpers/backends.js";
import { loadParityCase, relMaxError } from "../helpers/fixtures.js";

const LM = "lm_head.weight";

/** A model with fresh copies of every tensor and `name` replaced: no array it holds was ever cached. */
function freshModelWith(model: Model, name: string, values: Float32Array): Model {
  const params = new Map<string, Tensor<Float32Array>>(
    [...model.params].map(([n, p]) => [n, new Tensor(p.data.slice(), p.shape)]),
  );
  params.set(name, new Tensor(values, model.params.get(name)!.shape));
  return { ...model, params };
}

for (const backendName of BACKENDS) {
  describe(`weight edits through HookedModel are seen by the next run (${backendName} backend)`, () => {
    beforeAll(() => useBackend(backendName));
    const { dir, ids, b, t } = loadParityCase("sink-afrac");
    const tokens = Array.from({ length: b }, (_, r) => Array.from(ids.subarray(r * t, (r + 1) * t)));
    // Threshold 1: every linear weight runs on its cached CSR, the form a stale edit would leave behind.
    const sparse = { sparseThreshold: 1 };
    const logitsOf = (model: Model) => new HookedModel(model, sparse).run(tokens).logits.data;

    it("setWeight: the logits change to those of a model built with the new weights", () => {
      const hooked = new HookedModel(loadModel(dir), sparse);
      const before = hooked.run(tokens).logits.data;
      const doubled = hooked.weight(LM).data.map((v) => 2 * v);
      hooked.setWeight(LM, doubled);
      const after = hooked.run(tokens).logits.data;
      expect(relMaxError(after, before)).toBeGreaterThan(1e-2);
      expect(relMaxError(after, logitsOf(freshModelWith(hooked.model, LM, doubled)))).toBeLessThan(1e-6);
    });

    it("editWeights: in-place writes inside the callback are seen, also by a model sharing the tensors", () => {
      const hooked = new HookedModel(loadModel(dir), sparse);
      const view = new HookedModel({ ...hooked.model }, sparse);
      const before = view.run(tokens).logits.data;
      const zeroedRow = hooked.weight(LM).data;
      zeroedRow.fill(0, 0, hooked.dims.dModel);
      hooked.editWeights((weight) => weight(LM).fill(0, 0, hooked.dims.dModel));
      const want = logitsOf(freshModelWith(hooked.model, LM, zeroedRow));
      expect(relMaxError(view.run(tokens).logits.data, before)).toBeGreaterThan(1e-3);
      expect(relMaxError(view.run(tokens).logits.data, want)).toBeLessThan(1e-6);
      expect(relMaxError(hooked.run(tokens).logits.data, want)).toBeLessThan(1e-6);
    });

    it("weight() is a copy: writing to it changes nothing", () => {
      const hooked = new HookedModel(loadModel(dir), sparse);
      const before = hooked.run(tokens).logits.data;
      hooked.weight(LM).data.fill(0);
      expect(relMaxError(hooked.run(tokens).logits.data, before)).toBe(0);
    });

    it("a weight loaded sparse (held as CSR only) is read without densifying and written like any other", () => {
      const source = new HookedModel(loadModel(dir));
      const lm = source.weight(LM).data.map((v, i) => (i % 3 === 0 ? v : 0));
      source.setWeight(LM, lm);
      const out = mkdtempSync(join(tmpdir(), "csp-edit-"));
      saveModel(out, source.model);
      const hooked = new HookedModel(loadModel(out), sparse);
      expect(hooked.model.params.get(LM)!.heldCsr).toBeDefined();
      expect(Array.from(hooked.weight(LM).data, (v) => v + 0)).toEqual(Array.from(lm, (v) => v + 0));
      expect(hooked.model.params.get(LM)!.heldCsr).toBeDefined();
      const before = hooked.run(tokens).logits.data;
      const tripled = lm.map((v) => 3 * v);
      hooked.setWeight(LM, tripled);
      const after = hooked.run(tokens).logits.data;
      expect(relMaxError(after, before)).toBeGreaterThan(1e-2);
      expect(relMaxError(after, logitsOf(freshModelWith(hooked.model, LM, tripled)))).toBeLessThan(1e-6);
    });

    it("the check can fail: a write around the API leaves the cached CSR in use", () => {
      const hooked = new HookedModel(loadModel(dir), sparse);
      const before = hooked.run(tokens).logits.data;
      hooked.model.params.get(LM)!.data.fill(0);
      expect(relMaxError(hooked.run(tokens).logits.data, before)).toBe(0);
    });
  });
}

describe("weight edits refuse what does not fit", () => {
  const hooked = new HookedModel(loadModel(loadParityCase("dense-plain").dir));
  it("an unknown name or a wrong size, naming the parameter", () => {
    expect(() => hooked.weight("lm_head.weights")).toThrow(/"lm_head.weights" is not a parameter/);
    expect(() => hooked.setWeight(LM, [1, 2, 3])).toThrow(/"lm_head.weight" has shape \[80, 16\]/);
    expect(() => hooked.editWeights((w) => w("nope"))).toThrow(/"nope" is not a parameter/);
  });
});
