import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCircuit } from "../../src/circuit/read.js";
import { startViewer, type RunningViewer } from "../../src/viewer/server.js";
import { REPO } from "../helpers/cli.js";
import { HAND_BASE_LOSS, writeGraphCircuits, type GraphCircuits } from "./graph_circuits.js";
import { builtFrontEnd } from "./front_end.js";
import { CHROMIUM, launchTestChromium } from "./chromium.js";

const MODEL = resolve(REPO, "models/default");
const TASK = join(MODEL, "tasks", "while_return_true.jsonl");

let dir: string;
let files: GraphCircuits;
let viewer: RunningViewer;
let context: BrowserContext;
let page: Page;
let profile: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: run "node scripts/ensure-chromium.mjs"`);
  dir = mkdtempSync(join(tmpdir(), "csp-viewer-graph-"));
  files = writeGraphCircuits(dir, MODEL, TASK);
  const assets = await builtFrontEnd();
  viewer = await startViewer({ circuits: [files.hand, files.big], port: 0, assetsDir: assets });
  // A laptop screen: every tool must work at 1280×800.
  ({ profile, context } = await launchTestChromium({ width: 1280, height: 800 }));
  // The longest task the page ran (the freeze the issue measured was one task of 50-104 s).
  await context.addInitScript(() => {
    const w = window as unknown as { longestTask: number };
    w.longestTask = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.longestTask = Math.max(w.longestTask, e.duration);
    }).observe({ type: "longtask", buffered: true });
  });
  page = context.pages()[0] ?? (await context.newPage());
}, 120_000);

afterAll(async () => {
  await context?.close();
  await viewer?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const graph = (sub: string) => page.locator(`svg.layer-graph[data-sublayer="${sub}"]`);
const panelTitle = () => page.locator(".node-panel h3").textContent();
const nodesIn = (loc: string) =>
  page
    .locator(`[data-testid="${loc}"] button`)
    .evaluateAll((els) => els.map((e) => e.getAttribute("data-node")));

/** Opens the viewer at a fragment (a fresh document, so the URL view is read again). */
async function open(hash: string): Promise<void> {
  await page.goto("about:blank");
  await page.goto(`${viewer.url}${hash}`);
  await page.locator("svg.overview").waitFor();
}

async function download(action: string): Promise<string> {
  const [d] = await Promise.all([
    page.waitForEvent("download"),
    page.locator(`[data-action="${action}"]`).click(),
  ]);
  return readFileSync((await d.path())!, "utf8");
}

/** 5× the viewer's 2-s target: see the first test. */
const TRIPWIRE_MS = 10_000;

describe("csp view graph tools, in a browser at 1280×800", () => {
  // The viewer's target is a first draw and a sublayer switch under 2 s (a quiet run on the project's
  // 2-core VM, 2026-12-03: first draw 1.5 s after navigation, switch 0.36 s; printed on every run). A
  // unit test cannot hold a speed target on a shared 2-core machine (one full-suite run there took
  // 5.2 s), so the bounds are a tripwire for a draw that went quadratic or hung, 5× the target.
  it("draws a whole-model circuit with 49,152 edges and switches sublayer without stalling", async () => {
    expect(files.bigEdges).toBe(49_152);
    await page.goto("about:blank");
    await page.goto(`${viewer.url}#c=1&s=0.attn`);
    const canvas = page.locator('.graph-stage canvas.edge-canvas[data-edges="24576"]');
    await canvas.waitFor({ state: "attached" });
    // Times are the page's own clock (ms since navigation): the server runs in this test's process.
    const drawnAt = () => canvas.evaluate((c) => Number((c as HTMLCanvasElement).dataset.drawnAt));
    const firstDraw = await drawnAt();
    expect(firstDraw).toBeLessThan(TRIPWIRE_MS);
    // Every node of the sublayer is drawn (640 in attention) as a clickable SVG node.
    expect(await graph("0.attn").locator("g.node").count()).toBe(640);
    const clickedAt = await page.evaluate(() => performance.now());
    await page.locator('.pill[data-sublayer="0.mlp"]').click();
    await graph("0.mlp").waitFor();
    await expect.poll(drawnAt).toBeGreaterThan(clickedAt);
    const switchMillis = (await drawnAt()) - clickedAt;
    expect(switchMillis).toBeLessThan(TRIPWIRE_MS);
    expect(await graph("0.mlp").locator("g.node").count()).toBe(768);
    // No task blocked the page's thread for long (Chromium reports tasks over 50 ms).
    const longest = await page.evaluate(() => (window as unknown as { longestTask: number }).longestTask);
    expect(longest).toBeLessThan(TRIPWIRE_MS / 2);
    console.log(
      `big circuit: drawn at ${firstDraw} ms, sublayer switch ${switchMillis} ms, longest task ${longest} ms`,
    );
  });

  it("zooms, thresholds edges, pins, hides and searches nodes", async () => {
    await open("#c=0&s=0.attn");
    const stage = page.locator(".graph-stage");
    const before = await stage.getAttribute("data-zoom");
    await page.locator('[data-action="zoom-in"]').click();
    await expect.poll(() => stage.getAttribute("data-zoom")).not.toBe(before);
    expect(Number(await stage.getAttribute("data-zoom"))).toBeCloseTo(Number(before) * 1.4, 2);
    expect(await stage.evaluate((e) => (e as HTMLElement).style.transform)).toContain("scale(");

    // Slider position 200 of 1000: |w| ≥ 0.9 · 0.2² = 0.036 hides only the 0.02 edge.
    const weak = '[data-edge="0.attn.act_in:3->0.attn.v:2"]';
    expect(await graph("0.attn").locator(weak).count()).toBe(1);
    await page.locator('[data-action="threshold"]').evaluate((el: HTMLInputElement) => {
      el.value = "200";
      el.dispatchEvent(new Event("input", { bubbles: true }));
    });
    await expect.poll(() => graph("0.attn").locator(weak).count()).toBe(0);
    expect(await graph("0.attn").locator("g.edge").count()).toBe(4);

    await graph("0.attn").locator('g.node[data-node="0.attn.q:0"]').click();
    await page.locator('[data-action="pin"]').click();
    await expect.poll(() => page.locator('[data-testid="pinned-count"]').textContent()).toBe("1 pinned");
    expect(await graph("0.attn").locator('g.node.pinned[data-node="0.attn.q:0"]').count()).toBe(1);
    await page.locator('[data-action="hide"]').click();
    await expect.poll(() => graph("0.attn").locator('g.node[data-node="0.attn.q:0"]').count()).toBe(0);
    await page.locator('[data-action="show-all"]').click();
    await expect.poll(() => graph("0.attn").locator('g.node[data-node="0.attn.q:0"]').count()).toBe(1);

    await page.locator('[data-action="node-search"]').fill("0.mlp.post_act:11");
    await page.locator('[data-action="node-search"]').press("Enter");
    await expect.poll(panelTitle).toBe("0.mlp.post_act:11");
    await graph("0.mlp").waitFor();
  });

  it("shows a hover card with the node's Δ", async () => {
    await open("#c=0&s=0.mlp");
    await graph("0.mlp").locator('g.node[data-node="0.mlp.post_act:10"]').hover();
    const card = page.locator('[data-testid="hover-card"]');
    await card.waitFor();
    expect(await card.getAttribute("data-node")).toBe("0.mlp.post_act:10");
    // Its stored effect is base + 0.10 (the tenth node of the file): Δ 0.1000.
    expect(await card.locator('[data-testid="hover-delta"]').textContent()).toBe((0.1).toFixed(4));
    expect(HAND_BASE_LOSS).toBe(0.2);
  });

  it("saves a label and note into the circuit file and shows them after a reload", async () => {
    await open("#c=0&n=0.mlp.post_act:10");
    await page.locator('[data-action="note-label"]').fill("gate");
    await page.locator('[data-action="note-text"]').fill("fires after `while`");
    await page.locator('[data-action="save-note"]').click();
    await expect
      .poll(() => page.locator('[data-testid="note-status"]').textContent())
      .toBe("saved in the circuit file");
    expect(readCircuit(files.hand).notes).toEqual({
      "0.mlp.post_act:10": { label: "gate", note: "fires after `while`" },
    });
    await page.reload();
    await graph("0.mlp").locator('g.node[data-node="0.mlp.post_act:10"] text.label').waitFor();
    expect(
      await graph("0.mlp").locator('g.node[data-node="0.mlp.post_act:10"] text.label').textContent(),
    ).toBe("gate");
    expect(await page.locator('[data-action="note-text"]').inputValue()).toBe("fires after `while`");
    await page.locator('[data-action="node-search"]').fill("gat");
    expect(await page.locator(".search-results button").getAttribute("data-node")).toBe("0.mlp.post_act:10");
    // The edited-circuit export carries the notes too.
    const json = JSON.parse(await download("export-json")) as { notes?: unknown };
    expect(json.notes).toEqual({ "0.mlp.post_act:10": { label: "gate", note: "fires after `while`" } });
  });

  it("reopens the same view from a copied URL", async () => {
    await open("#c=0&s=0.attn");
    await graph("0.attn").locator('g.node[data-node="0.attn.v:2"]').click();
    await page.locator('[data-action="pin"]').click();
    await page.locator('[data-action="toggle-node"]').click();
    await page.locator('[data-action="threshold"]').evaluate((el: HTMLInputElement) => {
      el.value = "300";
      el.dispatchEvent(new Event("input", { bubbles: true }));
    });
    const threshold = await page.locator('[data-testid="threshold-value"]').textContent();
    // The URL follows the view after each render: wait until it holds the edit and the threshold.
    await expect.poll(() => page.url()).toContain("off=0.attn.v:2");
    await expect.poll(() => page.url()).toMatch(/[#&]t=0\.0\d/);
    const link = page.url();
    await open(link.slice(link.indexOf("#")));
    await expect.poll(panelTitle).toBe("0.attn.v:2");
    expect(await page.locator(".pill.active").getAttribute("data-sublayer")).toBe("0.attn");
    expect(await page.locator('[data-testid="threshold-value"]').textContent()).toBe(threshold);
    expect(await page.locator('[data-testid="pinned-count"]').textContent()).toBe("1 pinned");
    await expect.poll(() => graph("0.attn").locator('g.node.off[data-node="0.attn.v:2"]').count()).toBe(1);
  });

  it("exports the pinned subgraph, and SVGs with a title and legend but no selection ring", async () => {
    await open("#c=0&s=0.mlp&n=0.mlp.post_act:10&pin=0.mlp.post_act:10,0.mlp.resid_delta:9");
    const json = JSON.parse(await download("export-pinned-json")) as {
      nodes: Record<string, number[]>;
      edges: { src: string; dst: string }[];
    };
    expect(json.nodes).toEqual({ "0.mlp.post_act": [10], "0.mlp.resid_delta": [9] });
    expect(json.edges).toEqual([{ src: "0.mlp.post_act:10", dst: "0.mlp.resid_delta:9", weight: -0.8 }]);
    const sub = await download("export-pinned-svg");
    expect([...sub.matchAll(/data-node="([^"]+)"/g)].map((m) => m[1]).sort()).toEqual([
      "0.mlp.post_act:10",
      "0.mlp.resid_delta:9",
    ]);
    const svg = await download("export-svg");
    expect(svg).toMatch(/<title>while_return_true · hand · 0\.mlp · 5 nodes, 3 edges<\/title>/);
    expect(svg).toContain('class="legend"');
    expect(svg).toContain('data-node="0.mlp.post_act:10"');
    expect(svg).not.toContain('class="ring"');
    // On the page the selected node does carry its ring.
    expect(await graph("0.mlp").locator('g.node[data-node="0.mlp.post_act:10"] circle.ring').count()).toBe(1);
  });

  it("selects and switches off a final_resid node, and follows the residual stream", async () => {
    await open("#c=0");
    await page.locator('.pill[data-sublayer="final_resid"]').click();
    await graph("final_resid").locator('g.node[data-node="final_resid:5"]').click();
    await expect.poll(panelTitle).toBe("final_resid:5");
    expect(await nodesIn("upstream")).toEqual(["0.attn.resid_delta:5"]);
    const [evaluated] = await Promise.all([
      page.waitForRequest(
        (r) => r.url().endsWith("/api/evaluate") && r.postData()!.includes("final_resid:5"),
      ),
      page.locator('[data-action="toggle-node"]').click(),
    ]);
    expect((JSON.parse(evaluated.postData()!) as { disabledNodes: string[] }).disabledNodes).toEqual([
      "final_resid:5",
    ]);
    expect((await evaluated.response())!.status()).toBe(200);
    await expect
      .poll(() => graph("final_resid").locator('g.node.off[data-node="final_resid:5"]').count())
      .toBe(1);

    await page.locator('[data-testid="upstream"] button[data-node="0.attn.resid_delta:5"]').click();
    await expect.poll(panelTitle).toBe("0.attn.resid_delta:5");
    expect(await nodesIn("downstream")).toEqual(["0.mlp.act_in:5", "final_resid:5"]);
    await page.locator('[data-node="0.attn.resid_delta:9"]').first().click();
    await expect.poll(panelTitle).toBe("0.attn.resid_delta:9");
    expect(await nodesIn("downstream")).toEqual(["1.attn.act_in:9"]);
    await page.locator('[data-testid="downstream"] button').click();
    expect(await nodesIn("upstream")).toEqual(["0.attn.resid_delta:9", "0.mlp.resid_delta:9"]);
  });

  it("highlights the paths from a node to the logits; overview dots select nodes", async () => {
    await open("#c=0&n=0.mlp.act_in:5");
    await page.locator('[data-action="path"]').click();
    const onPath = await page
      .locator('[data-testid="path-view"] button')
      .evaluateAll((els) => els.map((e) => e.getAttribute("data-node")).sort());
    expect(onPath).toEqual(
      [
        "0.mlp.act_in:5",
        "0.mlp.post_act:10",
        "0.mlp.resid_delta:9",
        "1.attn.act_in:9",
        "1.attn.v:4",
        "1.attn.resid_delta:12",
        "final_resid:12",
      ].sort(),
    );
    // Off the path (post_act:11 feeds a channel nobody reads) fades; on it stays.
    expect(
      await graph("0.mlp").locator('g.node[data-node="0.mlp.post_act:11"]').getAttribute("opacity"),
    ).toBe("0.25");
    expect(
      await graph("0.mlp").locator('g.node[data-node="0.mlp.post_act:10"]').getAttribute("opacity"),
    ).toBeNull();
    await page.locator('svg.overview g.overview-dot[data-node="1.attn.act_in:9"]').click();
    await expect.poll(panelTitle).toBe("1.attn.act_in:9");
    expect(await page.locator(".pill.active").getAttribute("data-sublayer")).toBe("1.attn");
  });

  it("fits a 1280×800 screen: no sideways scroll, a one-line header, a sticky live card", async () => {
    await open("#c=1");
    const fit = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      header: document.querySelector(".topbar")!.getBoundingClientRect().height,
      sticky: getComputedStyle(document.querySelector('[data-testid="live-card"]')!).position,
    }));
    expect(fit.scroll).toBe(0);
    expect(fit.header).toBeLessThan(70);
    expect(fit.sticky).toBe("sticky");
  });
});
