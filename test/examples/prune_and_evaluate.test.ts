import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { csp } from "../helpers/cli.js";
import { numberAfter, runExample, unexpectedStderr } from "./run_example.js";

describe("examples/prune_task and examples/evaluate_circuit", () => {
  const circuitPath = join(mkdtempSync(join(tmpdir(), "csp-examples-")), "circuit.json");
  let pruned: ReturnType<typeof runExample>;
  beforeAll(() => {
    pruned = runExample("prune_task", [circuitPath]);
  });

  it("prune_task writes a circuit that reaches the target with a part of the nodes", () => {
    expect(unexpectedStderr(pruned)).toBe("");
    expect(pruned.status).toBe(0);
    const circuit = JSON.parse(readFileSync(circuitPath, "utf8"));
    expect(circuit.task.name).toBe("while_return_true");
    expect(circuit.reached).toBe(true);
    expect(circuit.num_nodes).toBeGreaterThan(0);
    expect(circuit.num_nodes).toBeLessThan(circuit.total_nodes / 2);
    expect(pruned.stdout).toContain(`${circuit.num_nodes} of ${circuit.total_nodes} nodes`);
  });

  it("evaluate_circuit prints what `csp evaluate` computes", () => {
    const r = runExample("evaluate_circuit", [circuitPath]);
    expect(unexpectedStderr(r)).toBe("");
    expect(r.status).toBe(0);
    const cli = csp(["evaluate", "--circuit", circuitPath, "--task", circuitTask(circuitPath), "--json"]);
    expect(cli.status).toBe(0);
    const want = JSON.parse(cli.stdout);
    const printed = (row: string) => numberAfter(r.stdout, `${row}`);
    expect(printed("everything kept    loss")).toBeCloseTo(want.loss_full, 4);
    expect(printed("circuit only       loss")).toBeCloseTo(want.loss_circuit, 4);
    expect(printed("circuit ablated    loss")).toBeCloseTo(want.loss_circuit_ablated, 4);
    expect(printed("everything ablated loss")).toBeCloseTo(want.loss_empty, 4);
    expect(r.stdout).toContain(`sufficient (circuit only <= target 0.15): ${want.sufficient}`);
    // Ablating the circuit must hurt: otherwise it is not the mechanism.
    expect(want.loss_circuit_ablated).toBeGreaterThan(want.loss_full + 0.1);
  });

  it("evaluate_circuit without a circuit file says how to run it", () => {
    const r = runExample("evaluate_circuit");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^usage: /);
  });
});

function circuitTask(path: string): string {
  // csp prune writes the task's path relative to the circuit file.
  return resolve(
    dirname(path),
    (JSON.parse(readFileSync(path, "utf8")) as { task: { path: string } }).task.path,
  );
}
