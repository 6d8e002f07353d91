import { describe, expect, it } from "vitest";
import { numberAfter, runExample, unexpectedStderr } from "./run_example.js";

describe("examples/ablate_node", () => {
  it("mean-ablating the most attributed neuron lowers the logit of the task's answer", () => {
    const r = runExample("ablate_node");
    expect(unexpectedStderr(r)).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/node 1\.mlp\.post_act:\d+ /);
    expect(numberAfter(r.stdout, "loss +")).toBeGreaterThan(0);
    const [before, after] = /logit of ":\\n": (-?[\d.]+) -> (-?[\d.]+)/.exec(r.stdout)!.slice(1).map(Number);
    expect(after).toBeLessThan(before - 1e-3);
  });
});
