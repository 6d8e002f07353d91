import { describe, expect, it } from "vitest";
import type { CircuitFile } from "../../src/circuit/format.js";
import { sweepCurve } from "../../src/viewer/search_curve.js";

const circuit = (task: string, nodes: number, lossCircuit: number, control: CircuitFile["control"] = null) =>
  ({
    task: { path: `${task}.jsonl`, name: task, hash: "" },
    control,
    num_nodes: nodes,
    loss_circuit: lossCircuit,
    loss_calibrated: lossCircuit / 100,
  }) as CircuitFile;

describe("the circuit files' loss-versus-size points", () => {
  it("are uncalibrated, one series per task and control, sorted by size within a series", () => {
    const points = sweepCurve([
      { file: "b2.json", circuit: circuit("b", 40, 0.12) },
      { file: "a1.json", circuit: circuit("a", 90, 0.1) },
      { file: "b1.json", circuit: circuit("b", 10, 0.3) },
      { file: "a2.json", circuit: circuit("a", 30, 0.14, { kind: "random-init", seed: 1 }) },
    ]);
    expect(points).toEqual([
      { nodes: 90, loss: 0.1, file: "a1.json", series: "a" },
      { nodes: 30, loss: 0.14, file: "a2.json", series: "a (random-init control)" },
      { nodes: 10, loss: 0.3, file: "b1.json", series: "b" },
      { nodes: 40, loss: 0.12, file: "b2.json", series: "b" },
    ]);
  });
});
