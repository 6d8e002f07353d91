import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findCircuitModel, findCircuitTask } from "../../src/circuit/circuit_model.js";
import { readCircuit } from "../../src/circuit/read.js";
import { evaluateOnTestSplit } from "../../src/cli/commands/evaluate.js";

// The circuits shipped in models/default/circuits/ (pruned with `csp prune --model models/default --task
// models/default/tasks/T.jsonl --out models/default/circuits/T.json --confidence 1`) must open as shipped (issue #14):
// from any working directory, without --model or --task.
const SHIPPED = resolve("models/default/circuits");
const elsewhere = mkdtempSync(join(tmpdir(), "csp-shipped-"));
const cwd = process.cwd();

afterAll(() => {
  process.chdir(cwd);
  rmSync(elsewhere, { recursive: true, force: true });
});

describe("the shipped circuits", () => {
  const files = readdirSync(SHIPPED).filter((f) => f.endsWith(".json"));

  it("are the three demo tasks', each reached", () => {
    expect(files.sort()).toEqual(["indent_for.json", "var_if.json", "while_return_true.json"]);
    for (const f of files) expect(readCircuit(join(SHIPPED, f)).reached).toBe(true);
  });

  it("reach the target on their task's held-out test split too (pruned with --confidence 1)", () => {
    for (const f of files) {
      const path = join(SHIPPED, f);
      const circuit = readCircuit(path);
      expect((circuit.prune_config as { confidence?: number }).confidence, f).toBe(1);
      const ev = evaluateOnTestSplit({
        model: join(SHIPPED, ".."),
        circuit: path,
        task: join(SHIPPED, "..", "tasks", f.replace(".json", ".jsonl")),
        quiet: true,
      });
      expect(ev.loss_circuit, f).toBeLessThanOrEqual(circuit.target_loss);
      expect(ev.loss_circuit_ablated, f).toBeGreaterThan(0.69); // necessity: above chance without it
    }
  }, 120_000);

  it("find the bundled model and their task files from another working directory", () => {
    process.chdir(elsewhere);
    try {
      for (const f of files) {
        const path = join(SHIPPED, f);
        const circuit = readCircuit(path);
        expect(findCircuitModel(circuit, path).dir).toBe(join(SHIPPED, ".."));
        expect(findCircuitTask(circuit, path)).toBe(
          join(SHIPPED, "..", "tasks", f.replace(".json", ".jsonl")),
        );
      }
    } finally {
      process.chdir(cwd);
    }
  });
});
