import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { CircuitFile } from "../../src/circuit/format.js";
import { findPythonStdlib } from "../../src/data/index.js";
import { CLI } from "../helpers/cli.js";
import { DEFAULT_MODEL_DIR } from "../../src/model/default_model.js";

/** A few standard-library files and packages: enough Python for a tokenizer and 30 steps, in seconds. */
const SMALL_CORPUS = ["json", "email", "argparse.py", "textwrap.py", "configparser.py"];

const work = mkdtempSync(join(tmpdir(), "csp-demo-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("csp demo", () => {
  it("trains a model, prunes a circuit from the bundled model and says which model each comes from", () => {
    const stdlib = findPythonStdlib();
    const out = join(work, "run");
    // cwd is the scratch directory so the tokenised-corpus cache (.csp-cache) lands there, not in the repo.
    const r = spawnSync(
      process.execPath,
      [
        CLI,
        "demo",
        ...["--out", out, "--preset", "small", "--steps", "30", "--tasks", "while_return_true"],
        ...["--pairs", "40", "--no-view"],
        ...["--corpus", ...SMALL_CORPUS.map((f) => join(stdlib, f))],
      ],
      { cwd: work, encoding: "utf8", timeout: 300_000 },
    );
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);

    const model = join(out, "model");
    for (const f of ["config.json", "model.safetensors", "means.safetensors", "tokenizer"])
      expect(existsSync(join(model, f)), f).toBe(true);

    // The task file is written for the bundled model's tokenizer, the model the circuit is pruned from.
    const taskFile = join(out, "tasks", "while_return_true.jsonl");
    const pairs = readFileSync(taskFile, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { split: string });
    expect(pairs).toHaveLength(40);
    expect(new Set(pairs.map((p) => p.split))).toEqual(new Set(["train", "test"]));

    // The bundled model has learned the demo's tasks: its circuit reaches the target with ≤ 5% of the nodes.
    const circuitPath = join(out, "circuits", "while_return_true.json");
    const circuit = JSON.parse(readFileSync(circuitPath, "utf8")) as CircuitFile;
    const kept = Object.values(circuit.nodes).flat().length;
    // Written relative to the circuit file's directory (csp view finds them from any working directory).
    expect(resolve(dirname(circuitPath), circuit.model.path)).toBe(resolve(DEFAULT_MODEL_DIR));
    expect(resolve(dirname(circuitPath), circuit.task.path)).toBe(resolve(taskFile));
    expect(circuit.reached).toBe(true);
    expect(circuit.num_nodes).toBe(kept);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(0.05 * circuit.total_nodes);
    expect(circuit.loss_circuit).toBeLessThanOrEqual(0.15);
    // Pruned with the demo's held-out margin, and the step's printed command says so.
    expect((circuit.prune_config as { confidence?: number }).confidence).toBe(1);
    expect(r.stderr).toMatch(/csp prune --model \S+ --task \S+ --out \S+ --confidence 1\n/);

    // The summary names the model of every number: the demo's own model and its task loss, then the circuits.
    expect(r.stdout).toContain(`model trained by this demo: ${model}\n`);
    expect(r.stdout).toMatch(
      / {2}while_return_true: (full-model test loss \d\.\d{4} \((learned|not learned yet)|its tokenizer cannot)/,
    );
    expect(r.stdout).toContain(`circuits pruned from: ${DEFAULT_MODEL_DIR}\n`);
    // Both the train pairs' verdict (pruning's) and the test split's (csp evaluate's, the viewer headline's).
    const line = r.stdout.split("\n").find((l) => l.startsWith(`circuit: ${circuitPath} `)) ?? "";
    const prefix = `circuit: ${circuitPath} (${kept} of ${circuit.total_nodes} nodes; train pairs loss ${circuit.loss_circuit.toFixed(4)}, reached; test split `;
    expect(line.startsWith(prefix)).toBe(true);
    const [, testLoss, verdict] = /test split (\d+\.\d{4}), (reached|NOT reached)\)$/.exec(line) ?? [];
    const evaluated = /circuit only +loss (\d+\.\d{4})/.exec(r.stdout)?.[1]; // the evaluate step's output
    expect(testLoss).toBe(evaluated);
    expect(verdict).toBe(Number(testLoss) <= 0.15 ? "reached" : "NOT reached");
    // The short budget is the point of the small corpus; a regression that trains on the whole stdlib
    // shows in the recorded corpus (the stdlib holds tens of millions of tokens).
    const config = JSON.parse(readFileSync(join(model, "config.json"), "utf8")) as {
      train: { run: { corpus: unknown; train_tokens: number } };
    };
    const run = config.train.run;
    expect(run.corpus).toEqual(SMALL_CORPUS.map((f) => join(stdlib, f)));
    expect(run.train_tokens).toBeLessThan(2_000_000);
  }, 320_000);
});
