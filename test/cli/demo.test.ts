import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { CircuitFile } from "../../src/circuit/format.js";
import { findPythonStdlib } from "../../src/data/index.js";
import { CLI } from "../helpers/cli.js";

/** A few standard-library files and packages: enough Python for a tokenizer and 30 steps, in seconds. */
const SMALL_CORPUS = ["json", "email", "argparse.py", "textwrap.py", "configparser.py"];

const work = mkdtempSync(join(tmpdir(), "csp-demo-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("csp demo", () => {
  it("trains a model, makes a task, prunes a circuit and prints the summary", () => {
    const stdlib = findPythonStdlib();
    const out = join(work, "run");
    // cwd is the scratch directory so the tokenised-corpus cache (.csp-cache) lands there, not in the repo.
    const r = spawnSync(
      process.execPath,
      [
        CLI,
        "demo",
        ...["--out", out, "--preset", "small", "--steps", "30", "--tasks", "else_elif"],
        ...["--pairs", "40", "--prune-steps", "12", "--no-view"],
        ...["--corpus", ...SMALL_CORPUS.map((f) => join(stdlib, f))],
      ],
      { cwd: work, encoding: "utf8", timeout: 180_000 },
    );
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);

    const model = join(out, "model");
    for (const f of ["config.json", "model.safetensors", "means.safetensors", "tokenizer"])
      expect(existsSync(join(model, f)), f).toBe(true);

    const taskFile = join(out, "tasks", "else_elif.jsonl");
    const pairs = readFileSync(taskFile, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { split: string });
    expect(pairs).toHaveLength(40);
    expect(new Set(pairs.map((p) => p.split))).toEqual(new Set(["train", "test"]));

    // 30 training steps may not teach the task: the circuit need not reach the target, but it must be valid.
    const circuitPath = join(out, "circuits", "else_elif.json");
    const circuit = JSON.parse(readFileSync(circuitPath, "utf8")) as CircuitFile;
    const kept = Object.values(circuit.nodes).flat().length;
    expect(kept).toBeGreaterThan(0);
    expect(circuit.num_nodes).toBe(kept);
    expect(kept).toBeLessThanOrEqual(circuit.total_nodes);
    expect(Number.isFinite(circuit.loss_circuit)).toBe(true);
    expect(circuit.model.path).toBe(model);
    expect(circuit.task.path).toBe(taskFile);

    expect(r.stdout).toContain(`model: ${model}\n`);
    expect(r.stdout).toContain(
      `circuit: ${circuitPath} (${kept} of ${circuit.total_nodes} nodes, loss ${circuit.loss_circuit.toFixed(4)})\n`,
    );
    // The short budget is the point of the small corpus; a regression that trains on the whole stdlib
    // shows in the recorded corpus (the stdlib holds tens of millions of tokens).
    const config = JSON.parse(readFileSync(join(model, "config.json"), "utf8")) as {
      train: { run: { corpus: unknown; train_tokens: number } };
    };
    const run = config.train.run;
    expect(run.corpus).toEqual(SMALL_CORPUS.map((f) => join(stdlib, f)));
    expect(run.train_tokens).toBeLessThan(2_000_000);
  }, 200_000);
});
