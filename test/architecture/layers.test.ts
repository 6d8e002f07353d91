import { describe, expect, test } from "vitest";
import { fileURLToPath } from "node:url";
import { importCycles, importGraph, layerViolations, type ImportGraph } from "../helpers/import_graph.js";

/**
 * The layers of src/ (ARCHITECTURE.md): a layer may import only layers ranked below it; layers of equal
 * rank are independent of each other.
 */
const LAYER_RANKS: Readonly<Record<string, number>> = {
  errors: 0,
  tensor: 1,
  random: 1,
  flag_values: 1,
  io: 2,
  tokenizer: 3,
  backend: 3,
  model: 4,
  data: 5,
  tasks: 5,
  train: 6,
  circuit: 7,
  prune: 8,
  viewer: 9,
  cli: 10,
  index: 11,
};

const SRC = fileURLToPath(new URL("../../src", import.meta.url));

describe("the import graph of src/", () => {
  const graph = importGraph(SRC);

  test("is read: it has the files and arrows we know are there", () => {
    expect(graph.size).toBeGreaterThan(150);
    expect(graph.get("cli/main.ts")!.length).toBeGreaterThan(5);
    expect(graph.get("prune/prune.ts")).toContain("circuit/task_data.ts");
  });

  test("has no cycles", () => {
    expect(importCycles(graph)).toEqual([]);
  });

  test("points one way: every import goes to a lower layer", () => {
    expect(layerViolations(graph, LAYER_RANKS)).toEqual([]);
  });
});

describe("the checks catch what they are for", () => {
  const fake: ImportGraph = new Map([
    ["model/a.ts", ["backend/b.ts"]],
    ["backend/b.ts", ["model/c.ts"]],
    ["model/c.ts", ["model/a.ts"]],
    ["data/d.ts", ["tasks/e.ts"]],
    ["tasks/e.ts", []],
  ]);

  test("a cycle through two layers", () => {
    expect(importCycles(fake)).toEqual([["backend/b.ts", "model/a.ts", "model/c.ts"]]);
  });

  test("an upward import and a sideways one", () => {
    expect(layerViolations(fake, LAYER_RANKS)).toEqual([
      "backend/b.ts -> model/c.ts: backend (3) may not import model (4)",
      "data/d.ts -> tasks/e.ts: data (5) may not import tasks (5)",
    ]);
  });
});
