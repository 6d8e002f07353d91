import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { steerCommand, type SteerFlags } from "../../src/cli/commands/steer.js";
import { bridgeSites, bridgeSpecs, bridgesPath, writeBridges } from "../../src/model/bridges_file.js";
import { saveModel } from "../../src/model/checkpoint.js";
import { weightsHash } from "../../src/model/model_hash.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { randomModel, testConfig } from "../helpers/models.js";
import { makeBridgedViewerFixture } from "../viewer/bridged_fixture.js";

const dir = mkdtempSync(join(tmpdir(), "csp-steer-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sparse = randomModel(testConfig(), 1, "f32");
const dense = randomModel(testConfig({ d_model: 4, n_head: 2, d_head: 2 }), 2, "f32");
const wide = randomModel(testConfig({ d_model: 8, n_head: 2, d_head: 4 }), 3, "f32");
saveModel(join(dir, "sparse"), sparse);
saveModel(join(dir, "dense"), dense);
saveModel(join(dir, "wide"), wide);
writeBridges(bridgesPath(join(dir, "sparse")), {
  meta: {
    version: 1,
    encoder_afrac: 1,
    sparse: { d_model: 6, n_layer: 2 },
    dense: { d_model: 4, n_layer: 2, weights_sha256: weightsHash(dense) },
  },
  sites: bridgeSites(2),
  params: new Map(
    bridgeSpecs(2, 6, 4).map((s) => [
      s.name,
      new Tensor(new Float32Array(s.shape.reduce((a, b) => a * b, 1)), s.shape),
    ]),
  ),
});

const flags = (extra: Partial<SteerFlags>): SteerFlags => ({
  model: join(dir, "sparse"),
  dense: join(dir, "dense"),
  node: "1.attn.act_in:2",
  prompt: "x = 1",
  value: "1",
  strength: "0,0.5,1",
  ...extra,
});

describe("csp steer: bad input gives one-line errors", () => {
  it.each([
    [
      { dense: join(dir, "wide") },
      /bridges join a dense model of 2 layers × width 4, the dense model given has 2 × 8/,
    ],
    [
      { dense: join(dir, "sparse") },
      /bridges join a dense model of 2 layers × width 4, the dense model given has 2 × 6/,
    ],
    [{ model: join(dir, "dense") }, /bridges\.safetensors: missing/],
    [{ node: "0.mlp.post_act:3" }, /not bridged/],
    [{ node: "1.attn.act_in:9" }, /channel 9 is not bridged/],
    [{ strength: "0,x" }, /--strength: expected a number/],
    [{ value: undefined }, /exactly one of --counterfactual and --value/],
    [{ task: "t.jsonl" }, /exactly one of --prompt and --task/],
  ] as [Partial<SteerFlags>, RegExp][])("%o", (extra, message) => {
    let error: Error | undefined;
    try {
      steerCommand(flags(extra));
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain("\n");
  });
});

describe("csp steer --circuit: the node must be in the circuit", () => {
  const fx = makeBridgedViewerFixture();
  afterAll(() => rmSync(fx.dir, { recursive: true, force: true }));
  const inFixture = (extra: Partial<SteerFlags>): SteerFlags =>
    flags({
      model: fx.modelDir,
      dense: fx.denseDir,
      circuit: fx.circuit,
      prompt: "x = print(",
      candidates: ['"', "'"],
      json: true,
      ...extra,
    });

  it("steers a node of the circuit (the circuit's 1.attn.act_in nodes are 0, 3, 6)", () => {
    const report = JSON.parse(steerCommand(inFixture({ node: "1.attn.act_in:3" }))) as { node: string };
    expect(report.node).toBe("1.attn.act_in:3");
  });

  it.each([
    [
      { node: "1.attn.act_in:1" },
      `${fx.circuit}: node 1.attn.act_in:1 is not in the circuit (its 1.attn.act_in nodes: 0, 3, 6)`,
    ],
    [
      { node: "1.mlp.act_in:3" },
      `${fx.circuit}: node 1.mlp.act_in:3 is not in the circuit (its 1.mlp.act_in nodes: 0, 2)`,
    ],
    [
      { circuit: join(fx.dir, "missing.json") },
      `${join(fx.dir, "missing.json")}: cannot read circuit file (ENOENT)`,
    ],
  ] as [Partial<SteerFlags>, string][])("%o", (extra, message) => {
    expect(() => steerCommand(inFixture(extra))).toThrow(message);
  });

  it("a circuit of another model is refused before any node is looked up", () => {
    let error: Error | undefined;
    try {
      steerCommand(flags({ circuit: fx.circuit }));
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message.startsWith(`${fx.circuit}: `)).toBe(true);
    expect(error?.message).not.toContain("\n");
  });
});
