import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { registerImportViz } from "../../src/cli/commands/import_viz.js";
import { importVizCircuit, type ImportedCircuit } from "../../src/circuit/import_viz.js";
import { nodeLayout } from "../../src/circuit/nodes.js";
import { readCircuit } from "../../src/circuit/read.js";
import { loadModel } from "../../src/model/checkpoint.js";
import { convertReferenceModel } from "../../src/model/convert_reference.js";
import { cspError, fixture } from "../io/torch/helpers.js";

/** Made by test/fixtures/torch/make_viz.py with real torch; expected.json is torch's view. */
const VIZ_DIR = fixture("viz/tiny-mask/toy_task/prune_v4/k_optim");
const VIZ = join(VIZ_DIR, "viz_data.pt");

interface Expected {
  nodes: Record<string, number[]>;
  node_effects: Record<string, number[]>;
  layer_effects: Record<string, number>;
  loss_full: number;
  loss_calibrated: number;
  edges: { src: string; dst: string; weight: number }[];
  snippets: Record<string, { fraction: number; bottom: Snip[]; top: Snip[] }[]>;
  edge_importance: { src: string; dst: string; delta: number }[];
  all_loss: [number, number][];
}
interface Snip {
  tokens: number[];
  acts: number[];
  focus: number;
}
const expected = JSON.parse(readFileSync(join(VIZ_DIR, "expected.json"), "utf8")) as Expected;

let root: string;
let model: string;
let circuit: ImportedCircuit;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "csp-import-viz-"));
  model = join(root, "tiny-mask");
  convertReferenceModel({ from: fixture("tiny-mask"), out: model });
  circuit = importVizCircuit({ viz: VIZ, model });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function expectClose(actual: number[], wanted: number[], what: string): void {
  expect(actual.length, what).toBe(wanted.length);
  wanted.forEach((w, i) => expect(actual[i], `${what}[${i}]`).toBeCloseTo(w, 8));
}

function expectSnips(actual: Snip[], wanted: Snip[], what: string): void {
  expect(actual.length, what).toBe(wanted.length);
  wanted.forEach((w, i) => {
    expect(actual[i].tokens, what).toEqual(w.tokens);
    expect(actual[i].focus, what).toBe(w.focus);
    // float32 activations: the same float32 after our 9-digit rounding.
    expect(actual[i].acts.map(Math.fround), what).toEqual(w.acts.map(Math.fround));
  });
}

describe("importVizCircuit", () => {
  test("nodes sorted with their effects kept aligned; losses halved (pair sums → per sequence)", () => {
    expect(circuit.method).toBe("imported-viz");
    expect(circuit.nodes).toEqual(expected.nodes);
    expect(Object.keys(circuit.nodes)).toEqual(Object.keys(expected.nodes)); // the model's site order
    for (const [site, list] of Object.entries(expected.node_effects))
      expectClose(circuit.node_effects![site], list, `node_effects[${site}]`);
    expect(Object.keys(circuit.layer_effects).sort()).toEqual(Object.keys(expected.layer_effects).sort());
    for (const [k, v] of Object.entries(expected.layer_effects))
      expect(circuit.layer_effects[k]).toBeCloseTo(v, 9);
    expect(circuit.loss_full).toBeCloseTo(expected.loss_full, 9);
    expect(circuit.loss_calibrated).toBeCloseTo(expected.loss_calibrated, 9);
    expect(circuit.num_nodes).toBe(Object.values(expected.nodes).flat().length);
    expect(circuit.total_nodes).toBe(40);
    expect(circuit.target_loss).toBe(0.15); // from the viz data's prune_config
    expect(circuit.reached).toBe(true); // 0.2875 / 2 = 0.14375 ≤ 0.15
  });

  test("edges are the model's nonzero weights between circuit nodes, in torch's values", () => {
    expect(circuit.edges.map((e) => [e.src, e.dst])).toEqual(expected.edges.map((e) => [e.src, e.dst]));
    expect(circuit.edges.map((e) => Math.fround(e.weight))).toEqual(
      expected.edges.map((e) => Math.fround(e.weight)),
    );
    expect(circuit.num_edges).toBe(expected.edges.length);
    expect(expected.edges.length).toBeGreaterThan(0);
  });

  test("pretraining snippets: circuit nodes only, 5 per bucket, ±50 tokens around the focus", () => {
    expect(Object.keys(circuit.pretraining_snippets).sort()).toEqual(Object.keys(expected.snippets).sort());
    for (const [node, buckets] of Object.entries(expected.snippets)) {
      const ours = circuit.pretraining_snippets[node];
      expect(ours.map((b) => b.fraction)).toEqual(buckets.map((b) => b.fraction));
      buckets.forEach((b, i) => {
        expectSnips(ours[i].bottom, b.bottom, `${node} bottom ${b.fraction}`);
        expectSnips(ours[i].top, b.top, `${node} top ${b.fraction}`);
      });
    }
    const long = circuit.pretraining_snippets["0.attn.act_in:3"].at(-1)!.top[0];
    // A 120-token document with its focus at 80: tokens 30..119.
    expect(long.tokens.length).toBe(90);
    expect(long.focus).toBe(50);
  });

  test("what viz data lacks is filled and listed; its extras are kept under imported", () => {
    expect(circuit.imported).toMatchObject({
      reference_model: "tiny-mask",
      task: "toy_task",
      sweep: "prune_v4",
      k: "k_optim",
    });
    expect(circuit.imported.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(circuit.imported.filled).sort()).toEqual(
      ["ablation", "calibration", "eval", "loss_circuit", "loss_empty", "search_log", "task"].sort(),
    );
    expect(circuit.imported.all_loss).toEqual(expected.all_loss.map(([i, l]) => [i, expect.closeTo(l, 9)]));
    expect(circuit.imported.edge_importance.map((e) => [e.src, e.dst])).toEqual(
      expected.edge_importance.map((e) => [e.src, e.dst]),
    );
    expectClose(
      circuit.imported.edge_importance.map((e) => e.delta),
      expected.edge_importance.map((e) => e.delta),
      "edge_importance",
    );
    expect(circuit.calibration).toEqual({ scale: 1, shift: 0, token_shift: {} });
    expect(circuit.task.name).toBe("toy_task");
    expect(circuit.eval).toEqual({ split: "reference", pairs: 2 });
  });
});

describe("csp import-viz", () => {
  async function run(...args: string[]): Promise<string> {
    const program = new Command().exitOverride();
    registerImportViz(program);
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      await program.parseAsync(args, { from: "user" });
      return log.mock.calls.map((c) => String(c[0])).join("\n");
    } finally {
      log.mockRestore();
    }
  }

  test("writes a circuit file that our reader accepts against the model", async () => {
    const out = join(root, "imported.json");
    const printed = await run("import-viz", VIZ, "--model", model, "--out", out);
    expect(printed).toMatch(/wrote .*imported\.json: 17 nodes, \d+ edges, 3 nodes with pretraining snippets/);
    const m = loadModel(model);
    const read = readCircuit(out, { model: m, layout: nodeLayout(m.dims) });
    expect(read.nodes).toEqual(expected.nodes);
    expect(read.method).toBe("imported-viz");
    expect(read.model.path).toBe("tiny-mask"); // relative to the circuit file
    expect(read.task.path).toBe("");
  });

  test("--task ties the circuit to a task file by path and hash", async () => {
    const task = join(root, "toy.jsonl");
    writeFileSync(task, '{"x":1}\n');
    const out = join(root, "with-task.json");
    await run("import-viz", VIZ, "--model", model, "--out", out, "--task", task);
    const c = JSON.parse(readFileSync(out, "utf8")) as ImportedCircuit;
    expect(c.task).toEqual({
      path: "toy.jsonl", // relative to the circuit file, as csp prune writes paths
      name: "toy",
      hash: createHash("sha256").update('{"x":1}\n').digest("hex"),
    });
  });

  const hostile: [string, () => string, RegExp][] = [
    [
      "a forbidden global (posix.system)",
      () => fixture("viz/evil_viz.pt"),
      /evil_viz\.pt: pickle refers to forbidden global posix\.system/,
    ],
    [
      "a missing key",
      () => fixture("viz/missing_circuit_viz.pt"),
      /missing_circuit_viz\.pt: viz data has no "circuit_data"/,
    ],
    [
      "a truncated file",
      () => {
        const cut = join(root, "truncated.pt");
        const bytes = readFileSync(VIZ);
        writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
        return cut;
      },
      /truncated\.pt: not a zip archive or truncated/,
    ],
  ];
  for (const [what, make, message] of hostile) {
    test(`${what}: one-line error, nothing written`, async () => {
      const dir = mkdtempSync(join(root, "out-"));
      const out = join(dir, "c.json");
      const path = make();
      const e = await run("import-viz", path, "--model", model, "--out", out).then(
        () => expect.fail("expected an error"),
        (err: unknown) => err as Error,
      );
      expect(e.message).toMatch(message);
      expect(e.message.includes("\n")).toBe(false);
      expect(readdirSync(dir)).toEqual([]);
    });
  }

  test("the circuit of another model is refused", () => {
    const other = join(root, "tied");
    convertReferenceModel({ from: fixture("tiny-tied"), out: other });
    expect(cspError(() => importVizCircuit({ viz: VIZ, model: other })).message).toMatch(
      /viz_data\.pt: made for another model: its beeg_model_config has vocab 8, the model in .*tied has 300/,
    );
  });

  test("fixtures stay small", () => {
    const size = (p: string): number =>
      statSync(p).isDirectory() ? readdirSync(p).reduce((s, f) => s + size(join(p, f)), 0) : statSync(p).size;
    expect(size(fixture("viz"))).toBeLessThan(150_000);
    expect(existsSync(VIZ)).toBe(true);
  });
});
