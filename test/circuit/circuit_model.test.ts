import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findCircuitModel, findCircuitTask } from "../../src/circuit/circuit_model.js";
import type { CircuitFile } from "../../src/circuit/format.js";
import { readCircuit } from "../../src/circuit/read.js";
import { loadModel, saveModel } from "../../src/model/checkpoint.js";
import { withPathsRelativeTo, writeCircuit } from "../../src/prune/circuit_file.js";
import { Workspace } from "../../src/viewer/workspace.js";
import { makeViewerFixture, type ViewerFixture } from "../viewer/fixture.js";

let fx: ViewerFixture;
let other: string;
let original: CircuitFile;
const cwd = process.cwd();

beforeAll(() => {
  fx = makeViewerFixture();
  other = mkdtempSync(join(tmpdir(), "csp-elsewhere-"));
  original = readCircuit(fx.circuit);
});

afterAll(() => {
  process.chdir(cwd);
  rmSync(fx.dir, { recursive: true, force: true });
  rmSync(other, { recursive: true, force: true });
});

/** The fixture's circuit written as csp prune writes it, into `dir` under the fixture. */
function pruneWritten(dir: string): string {
  mkdirSync(join(fx.dir, dir), { recursive: true });
  const path = join(fx.dir, dir, "circuit.json");
  writeCircuit(path, withPathsRelativeTo(path, original));
  return path;
}

describe("a circuit file finds its model", () => {
  it("by a path relative to the circuit file, from any working directory", () => {
    const path = pruneWritten("runs/demo/circuits");
    const written = readCircuit(path);
    expect(written.model.path).toBe("../../../model");
    expect(written.task.path).toBe("../../../quotes.jsonl");
    process.chdir(other);
    try {
      const found = findCircuitModel(written, relative(other, path));
      expect(found.dir).toBe(fx.modelDir);
      expect(found.model.dims.dModel).toBe(8);
      expect(findCircuitTask(written, path)).toBe(fx.task);
    } finally {
      process.chdir(cwd);
    }
  });

  it("opens in the viewer from another working directory without --model", () => {
    const path = pruneWritten("shipped");
    process.chdir(other);
    try {
      const ws = new Workspace({ circuits: [relative(other, path)], tokenizer: fx.tokenizerDir });
      const [entry] = ws.session().circuits;
      expect(entry.error).toBeUndefined();
      expect(entry.liveError).toBeUndefined();
      expect(ws.requireModel().dir).toBe(fx.modelDir);
    } finally {
      process.chdir(cwd);
    }
  });

  it("refuses a model with other weights, naming every directory it tried", () => {
    const copy = join(other, "model-copy");
    cpSync(fx.modelDir, copy, { recursive: true });
    const changed = loadModel(copy);
    const w = changed.params.get("transformer.h.0.mlp.c_fc.weight")!;
    w.data[0] += 1;
    saveModel(copy, changed);
    const circuit: CircuitFile = { ...original, model: { ...original.model, path: "model-copy" } };
    const inOther = join(other, "circuit.json");
    expect(() => findCircuitModel(circuit, inOther)).toThrow(
      new RegExp(
        `${inOther}: cannot find the model .*tried ${copy} \\(other weights: hash [0-9a-f]{12}…, the circuit's ${original.model.weights_hash.slice(0, 12)}…\\).*pass --model DIR`,
      ),
    );
    expect(() => findCircuitModel(original, inOther, { override: copy })).toThrow(/other weights/);
    expect(findCircuitModel(circuit, inOther, { override: fx.modelDir }).dir).toBe(fx.modelDir);
    const missing: CircuitFile = { ...original, model: { ...original.model, path: "nowhere/model" } };
    expect(() => findCircuitModel(missing, inOther)).toThrow(
      `tried ${join(other, "nowhere/model")} (no such directory); ${join(cwd, "nowhere/model")} (no such directory)`,
    );
  });

  it("refuses a task file with other contents, unless it is named with --task", () => {
    const circuit: CircuitFile = { ...original, task: { ...original.task, path: "circuit.json" } };
    expect(() => findCircuitTask(circuit, fx.circuit)).toThrow(/another task file: hash/);
    expect(findCircuitTask(circuit, fx.circuit, fx.corpus)).toBe(fx.corpus);
  });
});
