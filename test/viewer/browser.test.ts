import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildViewerFrontEnd } from "../../src/viewer/build-web.js";
import { evaluate } from "../../src/viewer/live.js";
import { startViewer, type RunningViewer } from "../../src/viewer/server.js";
import { makeViewerFixture, type ViewerFixture } from "./fixture.js";

const CHROMIUM = "/usr/bin/chromium";
const OUTPUT = resolve(fileURLToPath(import.meta.url), "../../../test-output");

let fx: ViewerFixture;
let viewer: RunningViewer;
let context: BrowserContext;
let page: Page;
let profile: string;
/** Every URL the page asked for: all of them must be the local server (no CDN, works offline). */
const requested: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: run "node scripts/ensure-chromium.mjs" (as root it installs Debian's chromium)`,
    );
  fx = makeViewerFixture();
  const assets = join(fx.dir, "web");
  await buildViewerFrontEnd(assets);
  viewer = await startViewer({
    circuits: [fx.circuit, fx.badCircuit],
    tokenizer: fx.tokenizerDir,
    corpus: [fx.corpus],
    windows: 24,
    port: 0,
    assetsDir: assets,
  });
  profile = mkdtempSync(join(tmpdir(), "csp-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    viewport: { width: 1680, height: 1250 },
    acceptDownloads: true,
    timeout: 30_000,
  });
  context.setDefaultTimeout(15_000);
  page = context.pages()[0] ?? (await context.newPage());
  page.on("request", (r) => requested.push(r.url()));
}, 90_000);

afterAll(async () => {
  await context?.close();
  await viewer?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (fx) rmSync(fx.dir, { recursive: true, force: true });
});

const liveLoss = async () =>
  (await page.locator('[data-testid="live-loss"]').getAttribute("data-loss")) ?? "";

describe("csp view in a browser", () => {
  it("opens a layer, shows a node, switches it off and shows the recomputed loss", async () => {
    await page.goto(viewer.url);
    await page.locator("svg.overview").waitFor();
    await expect.poll(liveLoss).not.toBe("");
    const before = Number(await liveLoss());
    expect(Number.isFinite(before)).toBe(true);

    await page.locator('.pill[data-sublayer="1.attn"]').click();
    const graph = page.locator('svg.layer-graph[data-sublayer="1.attn"]');
    await graph.waitFor();
    // Every circuit node of the sublayer is drawn, q/k/v grouped under their heads.
    const circuitNodes = ["act_in", "q", "k", "v", "resid_delta"].flatMap((s) =>
      fx.nodes[`1.attn.${s}`].map((c) => `1.attn.${s}:${c}`),
    );
    expect(await graph.locator("g.node").count()).toBe(circuitNodes.length);
    expect(await graph.locator("text", { hasText: /^head 1$/ }).count()).toBe(1);

    // v channel 3 (head 0) carries a visible part of this random circuit's effect on the task loss.
    const key = "1.attn.v:3";
    await graph.locator(`g.node[data-node="${key}"]`).click();
    const panel = page.locator(`.node-panel[data-node="${key}"]`);
    await panel.waitFor();
    await expect.poll(() => panel.locator(".connections").count()).toBe(2);
    await expect.poll(() => panel.locator(".snippet").count()).toBeGreaterThan(10);
    expect(await panel.locator(".tok.focus").count()).toBeGreaterThan(0);
    expect(await panel.textContent()).toContain("head 0, channel 3");

    await panel.locator('[data-action="toggle-node"]').click();
    await expect.poll(() => page.locator('[data-testid="edit-count"]').textContent()).toBe("1 edit");
    await expect.poll(liveLoss).not.toBe(String(before));
    const after = Number(await liveLoss());
    expect(after).not.toBe(before);
    // The number shown is the server's recomputation for exactly this edit.
    const expected = evaluate(viewer.workspace, { circuit: 0, disabledNodes: [key], disabledEdges: [] });
    expect(after).toBeCloseTo(expected.lossCalibrated, 10);
    await expect.poll(() => graph.locator(`g.node.off[data-node="${key}"]`).count()).toBe(1);
    await expect.poll(() => panel.locator(".stats").textContent()).toContain("switched off");
    // The task tab's activations reflect the edited circuit as well.
    await panel.locator(".tabs button", { hasText: "task pairs" }).click();
    await expect.poll(() => panel.locator(".task-cols .snippet").count()).toBeGreaterThan(5);
    await panel.locator(".tabs button", { hasText: "pretraining" }).click();

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, "viewer.png"), fullPage: true });
  });

  it("exports the layer graph as a standalone SVG", async () => {
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.locator('[data-action="export-svg"]').click(),
    ]);
    const svg = readFileSync((await download.path())!, "utf8");
    expect(svg).toMatch(/^<\?xml[^>]*>\s*<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).toContain('data-node="1.attn.v:3"');
    expect(download.suggestedFilename()).toBe("circuit-1.attn.svg");
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
    expect(json.edited.disabled_nodes).toEqual(["1.attn.v:3"]);
    expect(json.nodes["1.attn.v"]).toEqual(fx.nodes["1.attn.v"].filter((c) => c !== 3));
    expect(json.num_nodes).toBe(Object.values(fx.nodes).flat().length - 1);
  });

  it("shows the other views: loss versus size, embeddings and the task", async () => {
    await page.locator('[data-tab="sweep"]').click();
    await expect.poll(() => page.locator("svg.chart circle").count()).toBe(5);
    await page.locator('[data-tab="embedding"]').click();
    await expect.poll(() => page.locator("table.tokens tbody tr").count()).toBeGreaterThan(0);
    await page.locator('[data-tab="task"]').click();
    await expect.poll(() => page.locator(".pair").count()).toBeGreaterThan(1);
    await page.locator(".editor textarea").first().fill('x = print("gamma delta');
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
