import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CircuitFile } from "../../src/circuit/format.js";
import { evaluateCircuitFile } from "../../src/circuit/evaluate.js";
import { setupPrune } from "../../src/circuit/setup.js";
import { findPythonStdlib } from "../../src/data/index.js";
import { editedCircuitLoss } from "../../src/viewer/live.js";
import { startViewer, type RunningViewer } from "../../src/viewer/server.js";
import { Workspace } from "../../src/viewer/workspace.js";
import { loadModel } from "../../src/model/checkpoint.js";
import { weightsHash } from "../../src/model/model_hash.js";
import { REPO } from "../helpers/cli.js";
import { builtFrontEnd } from "./front_end.js";
import { CHROMIUM, launchTestChromium } from "./chromium.js";

const OUTPUT = resolve(REPO, "test-output");
const MODEL = resolve(REPO, "models/default");
const TASK = join(MODEL, "tasks", "while_return_true.jsonl");
/**
 * The circuit, made the way a user makes one (`csp prune` on the bundled model and task) and committed,
 * so the test does not spend the 25-50 s of the prune; after a change to the bundled model or the
 * circuit format, regenerate it with this command.
 */
const CIRCUIT = resolve(REPO, "test/fixtures/viewer/while_return_true.json");
const REGENERATE =
  "csp prune --model models/default --task models/default/tasks/while_return_true.jsonl " +
  "--out test/fixtures/viewer/while_return_true.json --seed 0";
/** Standard-library files the pretraining snippets come from: a few, so the viewer starts quickly. */
const SNIPPET_FILES = ["argparse.py", "textwrap.py", "json/encoder.py"];

let dir: string;
let circuitPath: string;
let circuit: CircuitFile;
/** The node the test switches off and its sublayer. */
let key: string;
let sublayer: string;
let viewer: RunningViewer;
let context: BrowserContext;
let page: Page;
let profile: string;
/** Every URL the page asked for: all of them must be the local server (no CDN, works offline). */
const requested: string[] = [];

/**
 * The circuit node inside a sublayer (not final_resid) whose ablation raises the task loss most,
 * by the per-node effects `csp prune` wrote: switching it off must visibly move the loss.
 */
function strongestSublayerNode(c: CircuitFile): { key: string; sublayer: string; rise: number } {
  let best = { key: "", sublayer: "", rise: -Infinity };
  for (const [loc, channels] of Object.entries(c.nodes)) {
    if (!/^\d+\.(attn|mlp)\./.test(loc)) continue;
    channels.forEach((ch, i) => {
      const rise = (c.node_effects?.[loc]?.[i] ?? -Infinity) - c.effects.base_loss;
      if (rise > best.rise)
        best = { key: `${loc}:${ch}`, sublayer: loc.split(".").slice(0, 2).join("."), rise };
    });
  }
  return best;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: run "node scripts/ensure-chromium.mjs" (as root it installs Debian's chromium)`,
    );
  dir = mkdtempSync(join(tmpdir(), "csp-viewer-browser-"));
  circuit = JSON.parse(readFileSync(CIRCUIT, "utf8")) as CircuitFile;
  if (circuit.model.weights_hash !== weightsHash(loadModel(MODEL)))
    throw new Error(`${CIRCUIT} was pruned on another bundled model: regenerate it with ${REGENERATE}`);
  circuitPath = CIRCUIT;
  const strongest = strongestSublayerNode(circuit);
  // A node whose removal costs clearly more than noise, or the toggle below would show nothing.
  expect(strongest.rise).toBeGreaterThan(0.05);
  ({ key, sublayer } = strongest);

  const badCircuit = join(dir, "broken.json");
  writeFileSync(badCircuit, '{"version": 1, "nodes": {');
  const stdlib = findPythonStdlib();
  const assets = await builtFrontEnd();
  viewer = await startViewer({
    circuits: [circuitPath, badCircuit],
    corpus: SNIPPET_FILES.map((f) => join(stdlib, f)),
    windows: 24,
    port: 0,
    assetsDir: assets,
  });
  ({ profile, context } = await launchTestChromium({ width: 1680, height: 1250 }));
  page = context.pages()[0] ?? (await context.newPage());
  page.on("request", (r) => requested.push(r.url()));
}, 120_000);

afterAll(async () => {
  await context?.close();
  await viewer?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const liveLoss = async () =>
  (await page.locator('[data-testid="live-loss"]').getAttribute("data-loss")) ?? "";

/** Circuit nodes of one sublayer as keys, e.g. "0.mlp.post_act:286". */
const nodesOf = (c: CircuitFile, sub: string) =>
  Object.entries(c.nodes)
    .filter(([loc]) => loc.startsWith(`${sub}.`))
    .flatMap(([loc, chs]) => chs.map((ch) => `${loc}:${ch}`));

describe("csp view in a browser, on a circuit made by csp prune", () => {
  it("opens a layer, shows a node, switches it off and shows the recomputed loss", async () => {
    await page.goto(viewer.url);
    await page.locator("svg.overview").waitFor();
    await expect.poll(liveLoss).not.toBe("");
    const before = Number(await liveLoss());
    expect(Number.isFinite(before)).toBe(true);

    await page.locator(`.pill[data-sublayer="${sublayer}"]`).click();
    const graph = page.locator(`svg.layer-graph[data-sublayer="${sublayer}"]`);
    await graph.waitFor();
    // Every circuit node of the sublayer is drawn, and only those.
    const drawn = await graph
      .locator("g.node")
      .evaluateAll((els) => els.map((e) => e.getAttribute("data-node")));
    expect(drawn.sort()).toEqual(nodesOf(circuit, sublayer).sort());

    await graph.locator(`g.node[data-node="${key}"]`).click();
    const panel = page.locator(`.node-panel[data-node="${key}"]`);
    await panel.waitFor();
    expect(await panel.locator("h3").textContent()).toBe(key);
    await expect.poll(() => panel.locator(".connections").count()).toBe(2);
    // The panel's edge counts are the circuit file's edges into and out of the node.
    const counts = await panel.locator(".connections .count").allTextContents();
    expect(counts.map(Number)).toEqual([
      circuit.edges.filter((e) => e.dst === key).length,
      circuit.edges.filter((e) => e.src === key).length,
    ]);
    await expect.poll(() => panel.locator(".snippet").count()).toBeGreaterThan(10);
    expect(await panel.locator(".tok.focus").count()).toBeGreaterThan(0);
    await expect.poll(() => panel.locator(".stats").textContent()).toContain("in circuit");

    const rawBefore = Number(await page.locator('[data-testid="live-raw"]').textContent());
    // The card starts at the circuit's uncalibrated loss on the test split, as csp evaluate measures it.
    const setup = setupPrune({ modelDir: MODEL, taskPath: TASK, ablation: circuit.ablation });
    expect(rawBefore).toBeCloseTo(evaluateCircuitFile(setup, circuit, "test", 0).loss_circuit, 3);

    await panel.locator('[data-action="toggle-node"]').click();
    await expect.poll(() => page.locator('[data-testid="edit-count"]').textContent()).toBe("1 edit");
    await expect.poll(liveLoss).not.toBe(String(before));
    const after = Number(await liveLoss());
    expect(after).not.toBe(before);
    // The numbers shown are the server's recomputation for exactly this edit.
    const expected = editedCircuitLoss(new Workspace({ circuits: [circuitPath] }), {
      circuit: 0,
      disabledNodes: [key],
      disabledEdges: [],
    });
    expect(after).toBeCloseTo(expected.lossCircuit, 10);
    const rawAfter = Number(await page.locator('[data-testid="live-raw"]').textContent());
    expect(rawAfter).toBeCloseTo(expected.lossCircuit, 3);
    // The node carries part of the task: without it the circuit does visibly worse.
    expect(rawAfter).toBeGreaterThan(rawBefore + 0.05);
    await expect.poll(() => graph.locator(`g.node.off[data-node="${key}"]`).count()).toBe(1);
    await expect.poll(() => panel.locator(".stats").textContent()).toContain("switched off");
    // The task tab's activations reflect the edited circuit as well.
    await panel.locator(".tabs button", { hasText: "task pairs" }).click();
    await expect.poll(() => panel.locator(".task-cols .snippet").count()).toBeGreaterThan(5);
    await panel.locator(".tabs button", { hasText: "pretraining" }).click();

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, "viewer.png"), fullPage: true });
    expect(readFileSync(join(OUTPUT, "viewer.png")).subarray(1, 4).toString()).toBe("PNG");
  });

  it("exports the layer graph as a standalone SVG", async () => {
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.locator('[data-action="export-svg"]').click(),
    ]);
    const svg = readFileSync((await download.path())!, "utf8");
    expect(svg).toMatch(/^<\?xml[^>]*>\s*<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).toContain(`data-node="${key}"`);
    expect(download.suggestedFilename()).toBe(`while_return_true-${sublayer}.svg`);
  });

  it("exports the edited circuit as JSON without the switched-off node", async () => {
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.locator('[data-action="export-json"]').click(),
    ]);
    const json = JSON.parse(readFileSync((await download.path())!, "utf8")) as {
      nodes: Record<string, number[]>;
      num_nodes: number;
      edited: { disabled_nodes: string[] };
    };
    expect(json.edited.disabled_nodes).toEqual([key]);
    const [loc, ch] = [key.slice(0, key.lastIndexOf(":")), Number(key.slice(key.lastIndexOf(":") + 1))];
    expect(json.nodes[loc]).toEqual(circuit.nodes[loc].filter((c) => c !== ch));
    expect(json.num_nodes).toBe(circuit.num_nodes - 1);
  });

  it("shows the other views: loss versus size, embeddings and the task", async () => {
    await page.locator('[data-tab="sweep"]').click();
    // One point per node count the bisection tried, and one for the circuit file itself.
    const tried = new Set(
      circuit.search_log.flatMap((t) => t.bisection.filter(([k]) => k > 0).map(([k]) => k)),
    );
    await expect.poll(() => page.locator("svg.chart circle").count()).toBe(tried.size + 1);
    await page.locator('[data-tab="embedding"]').click();
    await expect.poll(() => page.locator("table.tokens tbody tr").count()).toBeGreaterThan(0);
    await page.locator('[data-tab="task"]').click();
    await expect.poll(() => page.locator(".pair").count()).toBeGreaterThan(1);
    await page.locator(".editor textarea").first().fill("if x:\n    y = 1\nel");
    await page.locator('[data-action="run-prompt"]').click();
    await expect.poll(() => page.locator(".pair-head strong", { hasText: "edited prompt" }).count()).toBe(1);
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, "viewer-task.png"), fullPage: true });
  });

  it("shows a clear error for an unreadable circuit file", async () => {
    await page.locator('[data-tab="circuit"]').click();
    await page.locator("select.circuit-select").selectOption("1");
    const card = page.locator('.error-card[data-error="circuit"]');
    await card.waitFor();
    expect(await card.textContent()).toMatch(/broken\.json: not valid JSON/);
  });

  it("fetched nothing but the local server", () => {
    expect(requested.length).toBeGreaterThan(3);
    const foreign = requested.filter(
      (u) => !u.startsWith(viewer.url) && !u.startsWith("blob:") && !u.startsWith("data:"),
    );
    expect(foreign).toEqual([]);
  });
});
