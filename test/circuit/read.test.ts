import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { calibrationFromRecord } from "../../src/circuit/calibrate.js";
import { buildCircuit, writeCircuit } from "../../src/prune/circuit_file.js";
import type { CircuitFile } from "../../src/circuit/format.js";
import { circuitMask, readCircuit } from "../../src/circuit/read.js";
import { CspError } from "../../src/errors.js";
import { nodeLayout } from "../../src/circuit/nodes.js";
import type { PruneOutcome } from "../../src/prune/prune.js";
import { plantedModel } from "../../src/prune/synthetic.js";
import { flatNode } from "../prune/planted_setup.js";

const model = plantedModel();
const layout = nodeLayout(model.dims);
const dir = mkdtempSync(join(tmpdir(), "csp-circuit-"));

function validCircuit(): CircuitFile {
  const keep = new Float32Array(layout.total);
  for (const l of ["0.attn.v:0", "0.attn.act_in:1", "final_resid:5"]) keep[flatNode(layout, l)] = 1;
  const outcome: PruneOutcome = {
    keep,
    k: 3,
    reached: true,
    lossFull: 0.01,
    lossCircuit: 0.14,
    lossCalibrated: 0.1,
    lossEmpty: 0.7,
    calibration: {
      scale: 2,
      shift: new Map([
        [3, 0.5],
        [4, -0.5],
      ]),
    },
    scores: new Float64Array(layout.total),
    trials: [],
    bestTrial: 0,
    evalPairs: 10,
    nodeEffects: new Map([[flatNode(layout, "0.attn.v:0"), 0.7]]),
    layerEffects: new Map([["0.attn", 0.69]]),
    effectsPairs: 4,
    effectsBaseLoss: 0.13,
  };
  return buildCircuit(
    {
      modelPath: "m",
      modelName: "m",
      model,
      taskPath: "t.jsonl",
      taskName: "t",
      taskHash: "abc",
      method: "learned",
      control: null,
      ablation: "mean",
      targetLoss: 0.15,
      pruneConfig: { steps: 1 },
    },
    layout,
    outcome,
  );
}

let counter = 0;
/** Writes a mutated copy of a valid circuit and returns the error reading it against the model. */
function errorOf(mutate: (c: Record<string, unknown>) => void, raw?: string): string {
  const path = join(dir, `c${counter++}.json`);
  const c = JSON.parse(JSON.stringify(validCircuit())) as Record<string, unknown>;
  mutate(c);
  writeFileSync(path, raw ?? JSON.stringify(c));
  try {
    readCircuit(path, { model, layout });
  } catch (e) {
    expect(e).toBeInstanceOf(CspError);
    const message = (e as Error).message;
    expect(message.startsWith(`${path}: `)).toBe(true);
    expect(message).not.toContain("\n");
    return message.slice(path.length + 2);
  }
  throw new Error("no error");
}

describe("circuit files", () => {
  it("round-trip: written, read back, checked against the model, same nodes and calibration", () => {
    const path = join(dir, "valid.json");
    const c = validCircuit();
    writeCircuit(path, c);
    const back = readCircuit(path, { model, layout });
    expect(back).toEqual(c);
    expect(back.nodes).toEqual({ "0.attn.act_in": [1], "0.attn.v": [0], final_resid: [5] });
    expect(back.edges).toEqual([{ src: "0.attn.act_in:1", dst: "0.attn.v:0", weight: 1 }]);
    expect(back.node_effects).toEqual({ "0.attn.v": [0.7] });
    expect(back.total_nodes).toBe(layout.total);
    expect([...circuitMask(back, layout)].reduce((a, b) => a + b, 0)).toBe(3);
    const cal = calibrationFromRecord(back.calibration);
    expect(cal.scale).toBe(2);
    expect([...cal.shift]).toEqual([
      [3, 0.5],
      [4, -0.5],
    ]);
  });

  it("refuses malformed files with one line naming the file and the problem", () => {
    expect(errorOf(() => {}, "{ not json")).toMatch(/^not valid JSON/);
    expect(errorOf((c) => (c.version = 2))).toMatch(/unsupported circuit version 2/);
    expect(errorOf((c) => delete c.nodes)).toMatch(/"nodes" must be an object/);
    expect(errorOf((c) => (c.ablation = "median"))).toMatch(/ablation must be one of mean, zero, resample/);
    expect(errorOf((c) => ((c.nodes as Record<string, number[]>)["0.attn.act_in"] = [3, 1]))).toMatch(
      /strictly increasing/,
    );
    expect(errorOf((c) => (c.num_nodes = 4))).toMatch(/num_nodes is 4 but "nodes" lists 3/);
    expect(
      errorOf((c) => ((c.edges as unknown[])[0] = { src: "0.attn.q:0", dst: "0.attn.v:0", weight: 1 })),
    ).toMatch(/edges\[0\]\.src = "0.attn.q:0" is not a circuit node/);
    expect(errorOf((c) => (c.num_edges = 9))).toMatch(/num_edges is 9/);
    expect(errorOf((c) => ((c.node_effects as Record<string, number[]>)["0.attn.v"] = [1, 2]))).toMatch(
      /one loss per node/,
    );
    expect(errorOf((c) => ((c.layer_effects as Record<string, number>)["x.attn"] = 1))).toMatch(
      /layer_effects key/,
    );
    expect(errorOf((c) => (c.loss_circuit = "low"))).toMatch(/loss_circuit must be a finite number/);
  });

  it("refuses circuits that do not fit the model", () => {
    const nodes = (c: Record<string, unknown>) => c.nodes as Record<string, number[]>;
    const addSite = (site: string) => (c: Record<string, unknown>) => {
      nodes(c)[site] = [0];
      c.num_nodes = 4;
    };
    expect(errorOf(addSite("0.attn.y"))).toMatch(/"0.attn.y" is not a node site of this model/);
    expect(errorOf(addSite("7.mlp.post_act"))).toMatch(/"7.mlp.post_act" is not a node site/);
    expect(errorOf((c) => (nodes(c).final_resid = [8]))).toMatch(/index 8, outside \[0, 8\)/);
    expect(errorOf((c) => (c.total_nodes = 999))).toMatch(/total_nodes is 999 but the model has 136 nodes/);
    expect(errorOf((c) => ((c.model as Record<string, string>).config_hash = "0".repeat(64)))).toMatch(
      /another config/,
    );
    expect(
      errorOf((c) => ((c.calibration as { token_shift: Record<string, number> }).token_shift["99"] = 1)),
    ).toMatch(/token 99 is outside the vocabulary/);
  });

  it("names a missing file", () => {
    expect(() => readCircuit(join(dir, "absent.json"))).toThrow(
      /absent\.json: cannot read circuit file \(ENOENT\)/,
    );
  });
});
