import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setBackend } from "../../src/backend/index.js";
import { parseBridgedNode, steer } from "../../src/circuit/steer.js";
import {
  bridgeSites,
  bridgeSpecs,
  readBridges,
  writeBridges,
  type Bridges,
} from "../../src/model/bridges_file.js";
import { forward } from "../../src/model/gpt.js";
import { hookMatcher } from "../../src/model/hooks.js";
import { weightsHash } from "../../src/model/model_hash.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { randomModel, randomTokens, testConfig } from "../helpers/models.js";
import { randomArray } from "../helpers/random.js";

const sparse = randomModel(testConfig({ afrac: 0.5 }), 1, "f32");
const dense = randomModel(testConfig({ d_model: 4, n_head: 2, d_head: 2, d_mlp: 8 }), 2, "f32");

function bridgesFor(): Bridges {
  const params = new Map<string, Tensor<Float32Array>>();
  bridgeSpecs(2, 6, 4).forEach((s, i) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    params.set(s.name, new Tensor(Float32Array.from(randomArray(n, 20 + i, 0.5)), s.shape));
  });
  return {
    meta: {
      version: 1,
      encoder_afrac: 1,
      sparse: { d_model: 6, n_layer: 2 },
      dense: { d_model: 4, n_layer: 2, weights_sha256: weightsHash(dense) },
    },
    sites: bridgeSites(2),
    params,
  };
}

function softmaxAt(logits: Float32Array, t: number, v: number, id: number): number {
  const row = Array.from(logits.slice((t - 1) * v, t * v));
  const max = Math.max(...row);
  const sum = row.reduce((s, x) => s + Math.exp(x - max), 0);
  return Math.exp(row[id] - max) / sum;
}

function rms(x: Float32Array, r: number, w: number): number {
  let s = 0;
  for (let c = 0; c < w; c++) s += x[r * w + c] ** 2;
  return Math.sqrt(s / w + 1.1920929e-7);
}

describe("steering through a bridge", () => {
  beforeAll(() => setBackend("ts"));
  const t = 5;
  const prompt = randomTokens(t, 11, 5);
  const counterfactual = randomTokens(t, 11, 6);
  const node = { layer: 1, sublayer: "attn" as const, index: 2 };

  it("adds strength·δ·(rms_s/rms_d)·γ_d⊙W_dec[:, c]/γ_s[c] to the dense read (checked against a hand-built run)", () => {
    const bridges = bridgesFor();
    const r = steer({
      sparse,
      dense,
      bridges,
      node,
      examples: [{ prompt, counterfactual, candidates: [3, 7] }],
      strengths: [0, 0.5, 1],
    });
    const rec = hookMatcher("1\\.(attn\\.act_in|resid_in)$");
    const sp = forward(sparse, prompt, 1, t, { record: rec }).hooks;
    const cf = forward(sparse, counterfactual, 1, t, { record: rec }).hooks;
    const dn = forward(dense, prompt, 1, t, { record: rec }).hooks;
    const gS = sparse.params.get("transformer.h.1.ln_1.weight")!.data[2];
    const gD = dense.params.get("transformer.h.1.ln_1.weight")!.data;
    const w = bridges.params.get("bridges.1.attn.decoder.weight")!.data;
    const plain = forward(dense, prompt, 1, t).logits.data;
    expect(r.dense[0][0][0]).toBeCloseTo(softmaxAt(plain as Float32Array, t, 11, 3), 6);
    for (const [si, s] of [
      [1, 0.5],
      [2, 1],
    ] as const) {
      const add = {
        forward: (x: Tensor) => {
          const o = x.clone();
          for (let p = 0; p < t; p++) {
            const delta = cf.get("1.attn.act_in")!.data[p * 6 + 2] - sp.get("1.attn.act_in")!.data[p * 6 + 2];
            const ratio =
              rms(sp.get("1.resid_in")!.data as Float32Array, p, 6) /
              rms(dn.get("1.resid_in")!.data as Float32Array, p, 4);
            for (let j = 0; j < 4; j++) o.data[p * 4 + j] += (s * delta * ratio * gD[j] * w[j * 6 + 2]) / gS;
          }
          return o;
        },
      };
      const steered = forward(dense, prompt, 1, t, { interventions: new Map([["1.attn.act_in", add]]) })
        .logits.data;
      expect(r.dense[si][0][0]).toBeCloseTo(softmaxAt(steered as Float32Array, t, 11, 3), 5);
      expect(r.dense[si][0][1]).toBeCloseTo(softmaxAt(steered as Float32Array, t, 11, 7), 5);
      expect(Math.abs(r.dense[si][0][0] - r.dense[0][0][0])).toBeGreaterThan(1e-6);
    }
  });

  it("a counterfactual equal to the prompt moves nothing; --value moves the node to the value", () => {
    const bridges = bridgesFor();
    const same = steer({
      sparse,
      dense,
      bridges,
      node,
      examples: [{ prompt, counterfactual: prompt, candidates: [3] }],
      strengths: [0, 1],
    });
    expect(same.meanAbsDelta[0]).toBe(0);
    expect(same.dense[1][0][0]).toBe(same.dense[0][0][0]);
    const byValue = steer({
      sparse,
      dense,
      bridges,
      node,
      examples: [{ prompt, value: 3, candidates: [3] }],
      strengths: [1],
    });
    const pinned = {
      forward: (x: Tensor) => {
        const o = x.clone();
        for (let p = 0; p < t; p++) o.data[p * 6 + 2] = 3;
        return o;
      },
    };
    const sl = forward(sparse, prompt, 1, t, { interventions: new Map([["1.attn.act_in", pinned]]) }).logits
      .data;
    expect(byValue.sparse[0][0][0]).toBeCloseTo(softmaxAt(sl as Float32Array, t, 11, 3), 5);
  });

  it("refuses nodes that are not bridged, with one-line errors", () => {
    expect(() => parseBridgedNode("1.attn.act_in", sparse)).toThrow(/expected SITE:INDEX/);
    expect(() => parseBridgedNode("0.attn.q:1", sparse)).toThrow(/0\.attn\.q:1: not bridged/);
    expect(() => parseBridgedNode("5.mlp.act_in:1", sparse)).toThrow(/layer 5 does not exist/);
    expect(() => parseBridgedNode("1.mlp.act_in:6", sparse)).toThrow(/channel 6 is not bridged/);
    expect(parseBridgedNode("1.mlp.act_in:5", sparse)).toEqual({ layer: 1, sublayer: "mlp", index: 5 });
  });
});

describe("bridges.safetensors", () => {
  const dir = mkdtempSync(join(tmpdir(), "csp-bridges-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("round-trips, and refuses a dense model of another width, other weights, or a mismatched file", () => {
    const path = join(dir, "bridges.safetensors");
    const b = bridgesFor();
    writeBridges(path, b);
    const back = readBridges(path, sparse, dense, weightsHash(dense));
    for (const [name, t] of b.params)
      expect(Array.from(back.params.get(name)!.data)).toEqual(Array.from(t.data));
    const wide = randomModel(testConfig({ d_model: 8, n_head: 2, d_head: 4 }), 3, "f32");
    expect(() => readBridges(path, sparse, wide)).toThrow(
      /bridges join a dense model of 2 layers × width 4, the dense model given has 2 × 8/,
    );
    const other = randomModel(testConfig({ d_model: 4, n_head: 2, d_head: 2, d_mlp: 8 }), 9, "f32");
    expect(() => readBridges(path, sparse, other, weightsHash(other))).toThrow(
      /trained against other dense weights/,
    );
    expect(() => readBridges(path, dense, dense)).toThrow(/bridges join a sparse model/);
    expect(() => readBridges(join(dir, "none.safetensors"), sparse, dense)).toThrow(/missing/);
    writeBridges(path, { ...b, params: new Map([...b.params].slice(1)) });
    expect(() => readBridges(path, sparse, dense)).toThrow(
      /tensor "bridges.0.attn.encoder.weight" is missing/,
    );
  });
});
