import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256 } from "../../src/model/model_hash.js";
import { editedCircuitLoss } from "../../src/viewer/live.js";
import { startViewer, type RunningViewer } from "../../src/viewer/server.js";
import { Workspace } from "../../src/viewer/workspace.js";
import { FIXTURE_NODES, makeViewerFixture, type ViewerFixture } from "./fixture.js";
import { builtFrontEnd } from "./front_end.js";
import { launchTestChromium } from "./chromium.js";

/**
 * The numbers and states a researcher reads (issue 14): the headline is the uncalibrated loss on the test
 * split against the target, "reached" never comes from the calibrated loss, the selector groups by task
 * and opens on the best reached circuit, and the Task tab shows what the binary loss scores.
 */

const NAMES = ["alpha", "beta", "gamma", "delta", "count", "value", "items", "name", "path", "data"];
/** Test pairs of the task written here: more than one page of the Task tab (8 per page). */
const TEST_PAIRS = 20;
const RED = "rgb(197, 48, 48)";

let fx: ViewerFixture;
let viewer: RunningViewer;
let context: BrowserContext;
let page: Page;
let profile: string;
/** Circuit ids in the order given on the command line. */
const ID = { breakable: 0, small: 1, whole: 2, calibratedOnly: 3, broken: 4 };
/** The node whose switch-off breaks the breakable circuit, and its headline losses on and off. */
let breaker: { key: string; sublayer: string; on: number; off: number };
/** The calibrated-only circuit's headline: its target sits between the calibrated and uncalibrated losses. */
let calibratedOnly: { raw: number; calibrated: number; target: number };

/** A task with 12 train and TEST_PAIRS test pairs in the fixture's quote style. */
function writeTask(path: string, seed: number): string {
  const lines: string[] = [];
  for (let i = 0; i < 12 + TEST_PAIRS; i++) {
    const a = NAMES[(i * 7 + seed) % NAMES.length];
    const b = NAMES[(i * 3 + 2 * seed + 1) % NAMES.length];
    const split = i < 12 ? "train" : "test";
    lines.push(
      JSON.stringify({
        split,
        a: `x = print("${a} ${b}`,
        b: `x = print('${a} ${b}`,
        a_next: '"',
        b_next: "'",
      }),
    );
  }
  const text = lines.join("\n") + "\n";
  writeFileSync(path, text);
  return text;
}

type Circuit = Record<string, unknown> & { nodes: Record<string, number[]> };

function writeCircuit(name: string, c: Circuit): string {
  const path = join(fx.dir, name);
  writeFileSync(path, JSON.stringify(c));
  return path;
}

/** The headline (uncalibrated, test split) losses of a circuit file, from the engine, with edits. */
function headlineOf(path: string, disabledNodes: string[] = []) {
  const ws = new Workspace({ circuits: [path], tokenizer: fx.tokenizerDir });
  return editedCircuitLoss(ws, { circuit: 0, disabledNodes, disabledEdges: [], showPairs: [] });
}

beforeAll(async () => {
  fx = makeViewerFixture();
  const base = JSON.parse(readFileSync(fx.circuit, "utf8")) as Circuit;
  const taskA = join(fx.dir, "quotes20.jsonl");
  const taskB = join(fx.dir, "quotes_b.jsonl");
  const task = (path: string, name: string, text: string) => ({ path, name, hash: sha256(text) });
  const quotes = task(taskA, "quotes", writeTask(taskA, 1));
  const quotesB = task(taskB, "quotes_b", writeTask(taskB, 2));
  const common = { ...base, eval: { split: "train", pairs: 12 }, task: quotes };

  // The breakable circuit: its target sits halfway between its headline loss and the loss with the
  // node whose switch-off raises it most.
  const probe = writeCircuit("probe.json", { ...common, target_loss: 1e9 });
  const on = headlineOf(probe).lossCircuit;
  breaker = { key: "", sublayer: "", on, off: -Infinity };
  for (const [loc, list] of Object.entries(FIXTURE_NODES)) {
    if (loc === "final_resid") continue;
    for (const ch of list) {
      const off = headlineOf(probe, [`${loc}:${ch}`]).lossCircuit;
      if (off > breaker.off)
        breaker = { key: `${loc}:${ch}`, sublayer: loc.split(".").slice(0, 2).join("."), on, off };
    }
  }
  // Switching the node off must visibly raise the loss, or the red state below tests nothing.
  expect(breaker.off - breaker.on).toBeGreaterThan(1e-3);
  const paths = [
    writeCircuit("quotes-full.json", {
      ...common,
      target_loss: (breaker.on + breaker.off) / 2,
      reached: true,
    }),
    // Fewer nodes and a lenient target: the smallest reached circuit, the one the page opens on.
    writeCircuit("quotes-small.json", {
      ...common,
      nodes: { "0.attn.act_in": [0], "1.mlp.post_act": [4], final_resid: [0, 2] },
      num_nodes: 4,
      edges: [],
      num_edges: 0,
      node_effects: null,
      target_loss: 1e6,
      reached: true,
    }),
    // Every node of the model and a target nothing reaches: the search's "whole model" fallback.
    writeCircuit("quotes_b-whole.json", {
      ...common,
      task: quotesB,
      nodes: wholeModelNodes(),
      num_nodes: base.total_nodes,
      edges: [],
      num_edges: 0,
      node_effects: null,
      target_loss: 1e-9,
      reached: false,
    }),
  ];
  const calProbe = writeCircuit("cal-probe.json", { ...common, task: quotesB, target_loss: 1e9 });
  const h = headlineOf(calProbe);
  // The target between the calibrated and the uncalibrated loss: the two rules disagree on "reached".
  calibratedOnly = {
    raw: h.lossCircuit,
    calibrated: h.lossCalibrated,
    target: (h.lossCircuit + h.lossCalibrated) / 2,
  };
  expect(Math.abs(h.lossCircuit - h.lossCalibrated)).toBeGreaterThan(1e-3);
  paths.push(
    writeCircuit("quotes_b-calibrated.json", {
      ...common,
      task: quotesB,
      target_loss: calibratedOnly.target,
      reached: h.lossCalibrated <= calibratedOnly.target,
    }),
  );
  paths.push(fx.badCircuit);

  const assets = await builtFrontEnd();
  viewer = await startViewer({ circuits: paths, tokenizer: fx.tokenizerDir, port: 0, assetsDir: assets });
  ({ profile, context } = await launchTestChromium({ width: 1680, height: 1250 }));
  page = context.pages()[0] ?? (await context.newPage());
}, 120_000);

afterAll(async () => {
  await context?.close();
  await viewer?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (fx) rmSync(fx.dir, { recursive: true, force: true });
});

function wholeModelNodes(): Record<string, number[]> {
  const widths: Record<string, number> = { act_in: 8, q: 8, k: 8, v: 8, resid_delta: 8, post_act: 16 };
  const nodes: Record<string, number[]> = {};
  const range = (n: number) => [...Array(n).keys()];
  for (const layer of [0, 1]) {
    for (const slot of ["act_in", "q", "k", "v", "resid_delta"])
      nodes[`${layer}.attn.${slot}`] = range(widths[slot]);
    for (const slot of ["act_in", "post_act", "resid_delta"])
      nodes[`${layer}.mlp.${slot}`] = range(widths[slot]);
  }
  nodes.final_resid = range(8);
  return nodes;
}

const liveCard = () => page.locator('[data-testid="live-card"]');
const liveLoss = async () =>
  Number((await page.locator('[data-testid="live-loss"]').getAttribute("data-loss")) ?? NaN);
const cardState = () => liveCard().getAttribute("data-state");
const cardStale = () => liveCard().getAttribute("data-stale");

/** Waits until the live card shows a finished evaluation of circuit `id`. */
async function settled(id: number): Promise<void> {
  await expect
    .poll(async () => [
      await liveCard().getAttribute("data-circuit"),
      await cardStale(),
      Number.isFinite(await liveLoss()),
    ])
    .toEqual([String(id), "false", true]);
}

async function openCircuit(id: number): Promise<void> {
  await page.locator("select.circuit-select").selectOption(String(id));
  await page.locator('[data-tab="circuit"]').click();
  await settled(id);
}

async function switchNode(key: string, sublayer: string): Promise<void> {
  await page.locator(`.pill[data-sublayer="${sublayer}"]`).click();
  await page.locator(`svg.layer-graph g.node[data-node="${key}"]`).click();
  await page.locator(`.node-panel[data-node="${key}"] [data-action="toggle-node"]`).click();
}

async function exportJson(): Promise<Record<string, unknown>> {
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.locator('[data-action="export-json"]').click(),
  ]);
  return JSON.parse(readFileSync((await download.path())!, "utf8")) as Record<string, unknown>;
}

describe("csp view: the numbers a researcher reads", () => {
  it("groups the selector by task with size and reached state, and opens on the smallest reached circuit", async () => {
    await page.goto(viewer.url);
    await expect.poll(() => page.locator("select.circuit-select").inputValue()).toBe(String(ID.small));
    await settled(ID.small);
    const groups = await page
      .locator("select.circuit-select optgroup")
      .evaluateAll((gs) =>
        gs.map((g) => [g.getAttribute("label"), [...g.querySelectorAll("option")].map((o) => o.textContent)]),
      );
    expect(groups.map(([label]) => label)).toEqual(["task quotes", "task quotes_b", "unreadable files"]);
    const [quotes, quotesB] = groups.map(([, options]) => options as string[]);
    expect(quotes).toHaveLength(2);
    expect(quotes.every((o) => /· reached$/.test(o))).toBe(true);
    expect(quotes[1]).toMatch(/^quotes-small · 4 nodes · 0 edges · reached$/);
    expect(quotesB[0]).toMatch(/quotes_b-whole · 152 nodes · 0 edges · NOT reached \(whole model kept\)/);
    expect(quotesB[1]).toMatch(calibratedOnly.raw <= calibratedOnly.target ? /· reached$/ : /NOT reached$/);
    await expect.poll(cardState).toBe("reached");
  });

  it("shows the uncalibrated test-split loss as the headline and turns it red when an edit breaks it", async () => {
    await openCircuit(ID.breakable);
    expect(await cardState()).toBe("reached");
    expect(await liveLoss()).toBeCloseTo(breaker.on, 10);
    expect(await liveCard().locator(".eyebrow").first().textContent()).toMatch(/test split · uncalibrated/);
    expect(await liveCard().textContent()).toContain("calibrated (fitted on the train pairs)");
    await switchNode(breaker.key, breaker.sublayer);
    await expect.poll(cardState).toBe("not-reached");
    await settled(ID.breakable);
    expect(await liveLoss()).toBeCloseTo(breaker.off, 10);
    const big = page.locator('[data-testid="live-loss"]');
    expect(await big.evaluate((e) => getComputedStyle(e).color)).toBe(RED);
    expect(await page.locator('[data-testid="reached-state"]').textContent()).toMatch(
      /NOT REACHED.*the edits broke it/,
    );
  });

  it("exports reached: false for the broken circuit, measured on the test split", async () => {
    const json = await exportJson();
    expect(json.reached).toBe(false);
    expect(json.loss_circuit).toBeCloseTo(breaker.off, 10);
    expect(json.eval).toEqual({ split: "test", pairs: 12 });
  });

  it("compares the file's node Δ with a live switch-off Δ on the headline's pairs", async () => {
    // The node is off now: switch it back on, then measure what switching it off costs live.
    const panel = page.locator(`.node-panel[data-node="${breaker.key}"]`);
    await panel.locator('[data-action="toggle-node"]').click();
    await expect.poll(cardState).toBe("reached");
    await expect.poll(cardStale).toBe("false");
    expect(await panel.locator('[data-testid="baselines"]').textContent()).toMatch(
      /12 pairs of the train split, circuit loss there 0\.5000, mean ablation/,
    );
    await panel.locator('[data-action="live-delta"]').click();
    await expect
      .poll(async () => Number(await panel.locator('[data-testid="live-delta"]').getAttribute("data-delta")))
      .toBeCloseTo(breaker.off - breaker.on, 10);
  });

  it("never exports reached from the calibrated loss", async () => {
    await openCircuit(ID.calibratedOnly);
    const json = await exportJson();
    expect(json.reached).toBe(calibratedOnly.raw <= calibratedOnly.target);
    expect(json.loss_circuit).toBeCloseTo(calibratedOnly.raw, 10);
    expect(await cardState()).toBe(json.reached ? "reached" : "not-reached");
  });

  it("plots loss versus size uncalibrated, one series per task, never joining tasks", async () => {
    await page.locator('[data-tab="sweep"]').click();
    const series = await page.locator("svg.chart g[data-series]").evaluateAll((gs) =>
      gs.map((g) => ({
        name: g.getAttribute("data-series"),
        files: [...g.querySelectorAll("circle title")].map((t) => t.textContent!.split(":")[0]),
      })),
    );
    const files = series.filter((s) => s.name!.startsWith("circuit files"));
    expect(files.map((s) => s.name)).toEqual(["circuit files: quotes", "circuit files: quotes_b"]);
    const stem = (f: string) => f.split("/").pop()!;
    expect(files[0].files.map(stem).sort()).toEqual(["quotes-full.json", "quotes-small.json"]);
    expect(files[1].files.map(stem).sort()).toEqual(["quotes_b-calibrated.json", "quotes_b-whole.json"]);
    expect(await page.locator("svg.chart").textContent()).toContain("uncalibrated");
  });

  it("shows every task pair, page by page, with the binary choice the loss scores", async () => {
    await page.locator('[data-tab="task"]').click();
    const shown = () =>
      page
        .locator(".task-view .pair[data-pair]")
        .evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-pair"))));
    // 12 headline pairs (the file's eval.pairs, spread over the 20 test pairs): 8 on page one, 4 on page two.
    await expect.poll(shown).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(await page.locator("[data-testid=pair-range]").textContent()).toBe("pairs 0–7 of 12");
    await page.locator('[data-action="page-next"]').click();
    await expect.poll(shown).toEqual([8, 9, 10, 11]);
    // Each side shows P(correct) and P(wrong) over the two candidates: they sum to 1.
    const row = await page
      .locator(".pair .binary tr[data-row=circuit]")
      .first()
      .locator("td")
      .allTextContents();
    expect(Number(row[1].replace("%", "")) + Number(row[2].replace("%", ""))).toBeCloseTo(100, 0);
  });

  it("runs a pair with edited targets, and notes the tokens a long prompt drops", async () => {
    await page.locator('[data-action="page-prev"]').click();
    const pair0 = page.locator(".task-view .pair[data-pair='0']");
    await expect.poll(() => pair0.count()).toBe(1);
    // A's circuit probabilities for its own target and for the other one.
    const [, pRight, pWrong] = (
      await pair0.locator(".binary tr[data-row=circuit]").first().locator("td").allTextContents()
    ).map((t) => Number(t.replace("%", "")));
    // Swapping the targets on the same texts swaps the two probabilities.
    await page.locator('[data-field="targetA"]').fill("'");
    await page.locator('[data-field="targetB"]').fill('"');
    await page.locator('[data-action="run-prompt"]').click();
    const edited = page.locator(".pair", { has: page.locator("strong", { hasText: "edited prompt" }) });
    await expect.poll(() => edited.count()).toBe(1);
    const swapped = (
      await edited.locator(".binary tr[data-row=circuit]").first().locator("td").allTextContents()
    ).map((t) => Number(t.replace("%", "")));
    expect(swapped[1]).toBeCloseTo(pWrong, 1);
    expect(swapped[2]).toBeCloseTo(pRight, 1);

    // A newline target is typed as \n (a one-line input cannot hold one) and scored as the newline token.
    await page.locator('[data-field="targetA"]').fill("\\n");
    await page.locator('[data-action="run-prompt"]').click();
    await expect.poll(() => edited.locator(".binary th").nth(1).textContent()).toBe("P(⏎)");

    // A prompt longer than the model's context (48 tokens) is left-truncated, and the page says by how much.
    const long = Array.from({ length: 30 }, (_, i) => `${NAMES[i % NAMES.length]} = print("x")`).join("\n");
    const dropped = fx.tokenizer.encode(long).length - 48;
    expect(dropped).toBeGreaterThan(0);
    await page.locator('[data-field="textA"]').fill(long);
    await page.locator('[data-action="run-prompt"]').click();
    await expect
      .poll(() => edited.locator('[data-notice="dropped"]').first().textContent())
      .toMatch(new RegExp(`^${dropped} tokens dropped`));
  });

  it("recovers from a failed evaluation: marks the numbers stale, and the next edit evaluates again", async () => {
    // An empty prompt is refused in the Task tab only; the headline keeps evaluating.
    await page.locator('[data-field="textA"]').fill("");
    await page.locator('[data-action="run-prompt"]').click();
    await expect
      .poll(() => page.locator('[data-testid="prompt-error"]').textContent())
      .toMatch(/text A is empty/);
    await openCircuit(ID.breakable);
    const before = await liveLoss();
    await page.route("**/api/evaluate", (route) =>
      route.fulfill({ status: 500, contentType: "application/json", body: '{"error":"evaluation failed"}' }),
    );
    await switchNode(breaker.key, breaker.sublayer);
    await expect
      .poll(() => page.locator('[data-testid="live-error"]').textContent())
      .toMatch(/evaluation failed/);
    expect(await cardStale()).toBe("true");
    expect(await liveLoss()).toBeCloseTo(before, 12);
    await page.unroute("**/api/evaluate");
    // The next edit (switching it back on) evaluates again and clears the failure.
    await page.locator(`.node-panel[data-node="${breaker.key}"] [data-action="toggle-node"]`).click();
    await expect.poll(cardStale).toBe("false");
    expect(await page.locator('[data-testid="live-error"]').count()).toBe(0);
    expect(await liveLoss()).toBeCloseTo(breaker.on, 10);
    await switchNode(breaker.key, breaker.sublayer);
    await expect.poll(liveLoss).toBeCloseTo(breaker.off, 10);
  });

  it("keeps no prompt across circuits, and the Task tab works before the first evaluation", async () => {
    // Answers held back: the Task tab opens while the first evaluation is still running.
    await page.route("**/api/evaluate", async (route) => {
      await new Promise((r) => setTimeout(r, 800));
      await route.continue();
    });
    await page.goto(viewer.url);
    await page.locator('[data-tab="task"]').click();
    await page.locator('[data-testid="task-waiting"]').waitFor();
    await expect.poll(() => page.locator('[data-field="textA"]').inputValue()).toContain("x = print(");
    await page.unroute("**/api/evaluate");
    await page.locator('[data-field="textA"]').fill('x = print("alpha');
    await page.locator('[data-action="run-prompt"]').click();
    await expect.poll(() => page.locator(".pair strong", { hasText: "edited prompt" }).count()).toBe(1);
    await page.locator("select.circuit-select").selectOption(String(ID.calibratedOnly));
    await settled(ID.calibratedOnly);
    // The new circuit's first pair (two names), not the prompt typed for the other circuit.
    await expect
      .poll(() => page.locator('[data-field="textA"]').inputValue())
      .toMatch(/^x = print\(["'][a-z]+ [a-z]+$/);
    expect(await page.locator(".pair strong", { hasText: "edited prompt" }).count()).toBe(0);
  });
});
