import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { registerEvaluate } from "../../src/cli/commands/evaluate.js";
import { registerMeans } from "../../src/cli/commands/means.js";
import { registerPrune } from "../../src/cli/commands/prune.js";
import { writeShard } from "../../src/data/shard.js";
import { CspError } from "../../src/errors.js";
import { saveModel } from "../../src/model/checkpoint.js";
import { plantedModel } from "../../src/prune/synthetic.js";
import { saveTokenizer } from "../../src/tokenizer/index.js";
import { Rng } from "../../src/random/rng.js";
import { BYTE_PLANTED_TOKENS, BYTE_TOKENIZER, writeMarkerTask } from "../helpers/planted_text.js";

const dir = mkdtempSync(join(tmpdir(), "csp-prune-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const modelDir = join(dir, "model");
const taskPath = join(dir, "marker.jsonl");

/** Runs one csp command in-process; returns what it printed on stdout. */
async function csp(...args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerMeans(program);
  registerPrune(program);
  registerEvaluate(program);
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  const err = vi.spyOn(console, "error").mockImplementation(() => {});
  try {
    await program.parseAsync(args, { from: "user" });
    return log.mock.calls.map((c) => String(c[0])).join("\n");
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

beforeAll(async () => {
  const tokenizer = BYTE_TOKENIZER;
  saveModel(modelDir, plantedModel({ vocab: tokenizer.vocabSize, tokens: BYTE_PLANTED_TOKENS, seed: 4 }));
  saveTokenizer(join(modelDir, "tokenizer"), tokenizer);
  const rng = new Rng(8);
  writeMarkerTask(taskPath, 96, rng);
  const shard = join(dir, "pretrain.bin");
  writeShard(shard, [Uint16Array.from({ length: 4096 }, () => rng.int(tokenizer.vocabSize))]);
  const out = await csp(
    "means",
    "--model",
    modelDir,
    "--shard",
    shard,
    "--tokens",
    "1024",
    "--seq-len",
    "16",
    "--quiet",
  );
  expect(out).toMatch(/wrote .*means\.safetensors: means of 136 nodes over 64 windows × 16 tokens/);
});

const PRUNE = ["--batch", "16", "--eval-pairs", "32", "--effects-pairs", "4", "--quiet"];

describe("csp means / prune / evaluate", () => {
  it("prune writes a circuit under the target; evaluate confirms it on the test split", async () => {
    const circuitPath = join(dir, "circuit.json");
    const out = await csp("prune", "--model", modelDir, "--task", taskPath, "--out", circuitPath, ...PRUNE);
    expect(out).toMatch(/^wrote .*circuit\.json: \d+\/136 nodes, \d+ edges; .* target 0\.15 reached \(/);
    const circuit = JSON.parse(readFileSync(circuitPath, "utf8"));
    expect(circuit).toMatchObject({
      version: 1,
      ablation: "mean",
      method: "learned",
      reached: true,
      control: null,
    });
    // Paths are written relative to the circuit file (both sit in `dir`), so the file opens from anywhere.
    expect(circuit.task).toMatchObject({ name: "marker", path: "marker.jsonl" });
    expect(circuit.num_nodes).toBeLessThanOrEqual(20);
    expect(circuit.search_log).toHaveLength(1);
    const ev = JSON.parse(
      await csp("evaluate", "--model", modelDir, "--circuit", circuitPath, "--task", taskPath, "--json"),
    );
    expect(ev).toMatchObject({
      split: "test",
      sequences: 48,
      nodes: circuit.num_nodes,
      total_nodes: 136,
      edges: circuit.num_edges,
    });
    expect(ev.loss_full).toBeLessThan(0.05);
    expect(ev.loss_circuit).toBeLessThanOrEqual(0.2);
    expect(ev.loss_circuit_ablated).toBeGreaterThan(0.6);
    const text = await csp(
      "evaluate",
      "--model",
      modelDir,
      "--circuit",
      circuitPath,
      "--task",
      taskPath,
      "--quiet",
    );
    expect(text).toMatch(/circuit ablated\s+loss \d/);
  });

  it("runs the controls, the attribution baseline and the ablation comparison", async () => {
    const run = async (name: string, ...flags: string[]) => {
      const path = join(dir, `${name}.json`);
      const out = await csp(
        "prune",
        "--model",
        modelDir,
        "--task",
        taskPath,
        "--out",
        path,
        ...PRUNE,
        ...flags,
      );
      return { out, circuit: JSON.parse(readFileSync(path, "utf8")) };
    };
    const shuffled = await run("shuffled", "--control", "shuffled-labels", "--steps", "16");
    expect(shuffled.circuit.control).toEqual({ kind: "shuffled-labels", seed: 0 });
    expect(shuffled.circuit.reached).toBe(false);
    expect(shuffled.out).toMatch(/NOT reached \[control: shuffled-labels\]/);
    const random = await run("random", "--control", "random-init", "--steps", "16");
    expect(random.circuit.control).toEqual({ kind: "random-init", seed: 0 });
    expect(random.circuit.reached).toBe(false); // a random model does not do the task at all
    const evRandom = JSON.parse(
      await csp(
        "evaluate",
        "--model",
        modelDir,
        "--circuit",
        join(dir, "random.json"),
        "--task",
        taskPath,
        "--json",
      ),
    );
    expect(evRandom.loss_full).toBeCloseTo(random.circuit.loss_full, 1);
    const attribution = await run("attribution", "--method", "attribution", "--ablation", "zero");
    expect(attribution.circuit).toMatchObject({ method: "attribution", ablation: "zero", reached: true });
    const compared = await run("compare", "--compare-ablations", "--steps", "48");
    expect(compared.circuit.ablation_comparison.map((r: { ablation: string }) => r.ablation)).toEqual([
      "mean",
      "zero",
      "resample",
    ]);
    expect(compared.out.split("\n").filter((l) => l.startsWith("  ablation "))).toHaveLength(3);
  });

  it("refuses bad flags and circuits that do not fit the model, naming the culprit", async () => {
    const circuitPath = join(dir, "circuit.json");
    await expect(
      csp(
        "prune",
        "--model",
        modelDir,
        "--task",
        taskPath,
        "--out",
        join(dir, "x.json"),
        "--ablation",
        "median",
      ),
    ).rejects.toThrow(new CspError(`--ablation: expected one of mean, zero, resample, got "median"`));
    await expect(
      csp("prune", "--model", modelDir, "--task", taskPath, "--out", join(dir, "x.json"), "--steps", "0"),
    ).rejects.toThrow(/--steps: expected an integer ≥ 1/);
    const bad = JSON.parse(readFileSync(circuitPath, "utf8"));
    bad.nodes["0.mlp.post_act"] = [...(bad.nodes["0.mlp.post_act"] ?? []), 99];
    bad.num_nodes += 1;
    bad.node_effects = null;
    const badPath = join(dir, "bad.json");
    writeFileSync(badPath, JSON.stringify(bad));
    await expect(
      csp("evaluate", "--model", modelDir, "--circuit", badPath, "--task", taskPath, "--json"),
    ).rejects.toThrow(new CspError(`${badPath}: nodes["0.mlp.post_act"] has index 99, outside [0, 8)`));
  });
});
