import { beforeAll, describe, expect, it } from "vitest";
import { getBackend, setBackend } from "../../../src/backend/index.js";
import { bridgeSites, bridgeSpecs } from "../../../src/model/bridges_file.js";
import { Tensor } from "../../../src/tensor/tensor.js";
import { bridgedLoss, type BridgedLossInput } from "../../../src/train/bridges/bridged_loss.js";
import { nextTokenTargets } from "../../../src/train/step.js";
import { randomModel, randomTokens, testConfig } from "../../helpers/models.js";
import { expectClose, finiteDiff, randomArray, sampleCoords } from "../../helpers/random.js";

/** A sparse-side model of width 6 and a dense one of width 4, two layers each, float64, and random bridges. */
function setup(encoderK: number): BridgedLossInput {
  const sparse = randomModel(testConfig({ afrac: 0.5 }), 1, "f64");
  const dense = randomModel(testConfig({ d_model: 4, n_head: 2, d_head: 2, d_mlp: 8 }), 2, "f64");
  const bridges = new Map<string, Tensor>();
  bridgeSpecs(2, 6, 4).forEach((s, i) => {
    bridges.set(
      s.name,
      new Tensor(
        randomArray(
          s.shape.reduce((a, b) => a * b, 1),
          10 + i,
          0.5,
        ),
        s.shape,
      ),
    );
  });
  const [b, t] = [2, 4];
  const tokens = randomTokens(b * t, 11, 3);
  const sites = bridgeSites(2);
  return {
    sparse,
    dense,
    bridges,
    sites,
    encoderK,
    tokens,
    targets: nextTokenTargets(tokens, b, t),
    b,
    t,
    weights: { nmse: 0.7, kl: 1.3 },
    klSites: [sites[1], sites[2]],
    klScale: 2,
    trainDense: true,
    backend: getBackend(),
  };
}

describe("bridged loss gradients match finite differences (float64, ts backend)", () => {
  beforeAll(() => setBackend("ts"));
  for (const encoderK of [6, 4]) {
    it(`sparse model, dense model and bridges, encoder k = ${encoderK} of 6`, () => {
      const input = setup(encoderK);
      const r = bridgedLoss(input);
      const t = r.terms;
      for (const term of [t.ce, t.nmseEncoder, t.nmseDecoder, t.klSparseHybrid, t.klDenseHybrid, t.denseCe!])
        expect(term).toBeGreaterThan(0);
      expect(t.total).toBeCloseTo(
        t.ce + t.nmseEncoder + t.nmseDecoder + t.klSparseHybrid + t.klDenseHybrid + t.denseCe!,
        10,
      );
      const loss = () => bridgedLoss(input).terms.total;
      const groups: [
        string,
        Map<string, { data: Float64Array | Float32Array }>,
        (n: string) => Float64Array,
      ][] = [
        ["sparse", r.sparseGrads, (n) => input.sparse.params.get(n)!.data as Float64Array],
        ["dense", r.denseGrads!, (n) => input.dense.params.get(n)!.data as Float64Array],
        [
          "bridge",
          new Map([...r.bridgeGrads].map(([n, g]) => [n, { data: g }])),
          (n) => input.bridges.get(n)!.data as Float64Array,
        ],
      ];
      let checked = 0;
      for (const [group, grads, paramOf] of groups) {
        for (const [name, g] of grads) {
          const x = paramOf(name);
          const coords = sampleCoords(x.length, 2, name.length);
          const fd = finiteDiff(loss, x, coords);
          coords.forEach((c, i) => expectClose(g.data[c], fd[i], `${group} ${name}[${c}]`, 1e-4, 1e-8));
          checked += coords.length;
        }
      }
      expect(checked).toBeGreaterThan(60);
    });
  }

  it("a frozen dense model gets no gradient and leaves the others' unchanged", () => {
    const trained = bridgedLoss(setup(6));
    const frozen = bridgedLoss({ ...setup(6), trainDense: false });
    expect(frozen.denseGrads).toBeUndefined();
    expect(frozen.terms.denseCe).toBeUndefined();
    for (const [name, g] of frozen.sparseGrads)
      expect(Array.from(g.data)).toEqual(Array.from(trained.sparseGrads.get(name)!.data));
    for (const [name, g] of frozen.bridgeGrads)
      expect(Array.from(g)).toEqual(Array.from(trained.bridgeGrads.get(name)!));
  });
});
