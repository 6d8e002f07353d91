import { describe, expect, it } from "vitest";
import { runExample, unexpectedStderr } from "./run_example.js";

describe("examples/inspect_activations", () => {
  it("caches the requested hooks with their shapes and predicts the task's next token", () => {
    const r = runExample("inspect_activations");
    expect(unexpectedStderr(r)).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("(12 tokens)");
    expect(r.stdout).toContain("cached 1.mlp.post_act [1, 12, 512]");
    expect(r.stdout).toContain("cached final_resid [1, 12, 128]");
    // AbsTopK keeps a quarter of the 512 neurons (afrac 0.25).
    expect(r.stdout).toContain("128 of 512 neurons active");
    // The bundled model has learned while_return_true: ":\n" follows "while True".
    expect(r.stdout).toMatch(/top next tokens:\n {2}":\\n" logit/);
  });
});
