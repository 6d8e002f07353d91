import { beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { CspError } from "../../src/errors.js";
import { readAblationFile } from "../../src/model/ablate.js";
import { loadModel } from "../../src/model/checkpoint.js";
import { HookedModel } from "../../src/model/hooked_model.js";
import { functionIntervention } from "../../src/model/hooks.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { BACKENDS, useBackend } from "../helpers/backends.js";
import { loadParityCase, relMaxError } from "../helpers/fixtures.js";

/** Rows of a [B, T] id array as the number[][] a caller would pass. */
function rowsOf(ids: Int32Array, b: number, t: number): number[][] {
  return Array.from({ length: b }, (_, r) => Array.from(ids.subarray(r * t, (r + 1) * t)));
}

for (const backendName of BACKENDS) {
  describe(`HookedModel against the reference (${backendName} backend)`, () => {
    beforeAll(() => useBackend(backendName));
    const { dir, expected, ids, targets, b, t } = loadParityCase("sink-afrac");
    const hooked = new HookedModel(loadModel(dir));
    const tokens = rowsOf(ids, b, t);

    it("runWithCache: logits and every hook, shaped [batch, seq, width]", () => {
      const { logits, cache } = hooked.runWithCache(tokens);
      expect(logits.shape).toEqual([b, t, 96]);
      expect(relMaxError(logits.data, expected.get("logits")!.data)).toBeLessThan(1e-5);
      expect([...cache.keys()]).toEqual(hooked.hookNames);
      for (const [name, act] of cache) {
        const want = expected.get(`hook/${name}`)!;
        expect(act.shape, name).toEqual(want.shape);
        expect(relMaxError(act.data, want.data), name).toBeLessThan(1e-5);
      }
    });

    it("names: a list, a RegExp (global flag harmless) or a predicate", () => {
      const byList = hooked.runWithCache(tokens, { names: ["final_resid", "0.attn.q"] }).cache;
      expect([...byList.keys()].sort()).toEqual(["0.attn.q", "final_resid"]);
      const byRegExp = hooked.runWithCache(tokens, { names: /^1\.mlp\./g }).cache;
      expect([...byRegExp.keys()]).toEqual(["1.mlp.act_in", "1.mlp.post_act", "1.mlp.resid_delta"]);
      const byPredicate = hooked.runWithCache(tokens, { names: (n) => n.endsWith("resid_mid") }).cache;
      expect([...byPredicate.keys()]).toEqual(["0.resid_mid", "1.resid_mid"]);
      expect(() => hooked.runWithCache(tokens, { names: ["0.attn.query"] })).toThrow(CspError);
    });

    it("one sequence is a batch of one; Int32Array as number[]", () => {
      const single = hooked.run(Int32Array.from(tokens[1])).logits;
      expect(single.shape).toEqual([1, t, 96]);
      const row1 = expected.get("logits")!.data.subarray(t * 96, 2 * t * 96);
      expect(relMaxError(single.data, row1)).toBeLessThan(1e-5);
    });

    it("targets give the reference loss", () => {
      const { loss } = hooked.run(tokens, { targets: rowsOf(targets, b, t) });
      expect(Math.abs(loss! - expected.get("loss")!.data[0])).toBeLessThan(1e-4);
    });

    it("interventions (a Map or a plain object) reproduce the reference ablation", () => {
      const map = readAblationFile(join(dir, "ablate.json"), hooked.dims);
      for (const interventions of [map, Object.fromEntries(map)]) {
        const { logits } = hooked.run(tokens, { interventions });
        expect(relMaxError(logits.data, expected.get("ablate/logits")!.data)).toBeLessThan(1e-4);
        expect(relMaxError(logits.data, expected.get("logits")!.data)).toBeGreaterThan(1e-3);
      }
      const typo = { "0.attn.qq": map.get("0.attn.q")! };
      expect(() => hooked.run(tokens, { interventions: typo })).toThrow(/not a hook point/);
    });

    it("runWithGrads: the reference's parameter gradients", () => {
      const run = hooked.runWithGrads(tokens, rowsOf(targets, b, t), { hooks: ["final_resid"] });
      expect(Math.abs(run.loss - expected.get("loss")!.data[0])).toBeLessThan(1e-4);
      const gradKeys = [...expected.keys()].filter((k) => k.startsWith("grad/"));
      expect([...run.paramGrads.keys()].sort()).toEqual(gradKeys.map((k) => k.slice(5)).sort());
      for (const key of gradKeys)
        expect(
          relMaxError(run.paramGrads.get(key.slice(5))!.data, expected.get(key)!.data),
          key,
        ).toBeLessThan(1e-4);
      expect([...run.hookGrads.keys()]).toEqual(["final_resid"]);
      expect(run.hookGrads.get("final_resid")!.shape).toEqual([b, t, 32]);
    });
  });
}

describe("runWithGrads: hook gradients agree with the loss's finite differences", () => {
  beforeAll(() => useBackend("ts"));
  const { dir, ids, targets, b, t } = loadParityCase("dense-plain");
  const hooked = new HookedModel(loadModel(dir));
  const tokens = rowsOf(ids, b, t);
  const tgt = rowsOf(targets, b, t);

  for (const hook of ["0.attn.v", "1.mlp.post_act", "final_resid"]) {
    it(hook, () => {
      const grad = hooked.runWithGrads(tokens, tgt, { hooks: [hook] }).hookGrads.get(hook)!;
      const norm = Math.hypot(...grad.data);
      expect(norm).toBeGreaterThan(0);
      // Along the gradient's direction the loss changes at the rate |grad|.
      const h = 1e-2;
      const lossAt = (step: number) =>
        hooked.run(tokens, {
          targets: tgt,
          interventions: {
            [hook]: functionIntervention(
              (x) =>
                new Tensor(
                  x.data.map((v, i) => v + (step * grad.data[i]) / norm),
                  x.shape,
                ),
            ),
          },
        }).loss!;
      const slope = (lossAt(h) - lossAt(-h)) / (2 * h);
      expect(Math.abs(slope - norm) / norm).toBeLessThan(1e-2);
    });
  }
});

describe("HookedModel input checks", () => {
  const { dir } = loadParityCase("dense-plain");
  const hooked = new HookedModel(loadModel(dir));

  it("refuses ragged batches, empty input, non-integer ids and targets of another shape", () => {
    expect(() =>
      hooked.run([
        [1, 2, 3],
        [1, 2],
      ]),
    ).toThrow(/must be rectangular/);
    expect(() => hooked.run([])).toThrow(/empty/);
    expect(() => hooked.run([1, 2.5])).toThrow(/not an integer/);
    expect(() => hooked.run([1, 2, 3], { targets: [2, 3] })).toThrow(/differs from the tokens/);
    expect(() => hooked.run([1, 2, 999])).toThrow(/outside the vocabulary/);
  });
});
