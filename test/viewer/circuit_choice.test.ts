import { describe, expect, it } from "vitest";
import type { CircuitEntry, Headline } from "../../src/viewer/api_types.js";
import { bestReached, groupByTask, initialCircuit } from "../../src/viewer/circuit_choice.js";

const head = (lossCircuit: number, reached: boolean): Headline => ({
  split: "test",
  pairs: 32,
  lossCircuit,
  lossCalibrated: 0,
  lossFull: 0.01,
  targetLoss: 0.15,
  reached,
});

const entry = (id: number, task: string, nodes: number, h?: Headline, fileReached = true): CircuitEntry => ({
  id,
  file: `runs/${task}-${id}.json`,
  taskName: task,
  nodes,
  edges: 2 * nodes,
  headline: h,
  fileReached,
  wholeModel: nodes === 2944,
});

describe("the circuit selector's choices", () => {
  it("opens on the smallest circuit reached on the test split, not on the file's flag", () => {
    const circuits = [
      entry(0, "else_elif", 2944, head(0.3, false), false),
      // Reached by csp prune (train pairs) but not on the test split: not a candidate.
      entry(1, "else_elif", 20, head(0.2, false), true),
      entry(2, "for_while", 80, head(0.1, true)),
      entry(3, "else_elif", 60, head(0.14, true)),
    ];
    expect(bestReached(circuits)?.id).toBe(3);
    expect(initialCircuit(circuits)).toBe(3);
  });

  it("falls back to the first readable circuit when none is reached", () => {
    const circuits = [
      { id: 0, file: "broken.json", error: "broken.json: not valid JSON" },
      entry(1, "else_elif", 2944, head(0.3, false), false),
    ];
    expect(bestReached(circuits)).toBeUndefined();
    expect(initialCircuit(circuits)).toBe(1);
  });

  it("uses the file's flag only for circuits that cannot be re-evaluated", () => {
    expect(bestReached([entry(4, "var_if", 10, undefined, true)])?.id).toBe(4);
    expect(bestReached([entry(5, "var_if", 10, head(0.2, false), true)])).toBeUndefined();
  });

  it("groups by task in first-seen order, unreadable files last", () => {
    const groups = groupByTask([
      { id: 0, file: "broken.json", error: "bad" },
      entry(1, "b_task", 5, head(0.1, true)),
      entry(2, "a_task", 5, head(0.1, true)),
      entry(3, "b_task", 7, head(0.1, true)),
    ]);
    expect(groups.map((g) => [g.task, g.circuits.map((c) => c.id)])).toEqual([
      ["b_task", [1, 3]],
      ["a_task", [2]],
      ["unreadable files", [0]],
    ]);
  });
});
