import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startViewer, type RunningViewer } from "../../src/viewer/server.js";
import { REPO } from "../helpers/cli.js";
import { makeViewerFixture, type ViewerFixture } from "./fixture.js";
import {
  ENTRY_STEP,
  METRIC_STEPS,
  SNAPSHOT_NODES,
  SNAPSHOT_STEPS,
  VAL_STEPS,
  writePanelsFixture,
  type PanelsFixture,
} from "./panels_fixture.js";
import { builtFrontEnd } from "./front_end.js";
import { CHROMIUM, launchTestChromium } from "./chromium.js";

const OUTPUT = resolve(REPO, "test-output");

let fx: ViewerFixture;
let pf: PanelsFixture;
let viewer: RunningViewer;
let context: BrowserContext;
let page: Page;
let profile: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: run "node scripts/ensure-chromium.mjs" (as root it installs Debian's chromium)`,
    );
  fx = makeViewerFixture();
  pf = writePanelsFixture(fx);
  const assets = await builtFrontEnd();
  // A circuit that cannot reach its target: the page warns about it on the circuit tabs only.
  const unreached = join(fx.dir, "unreached.json");
  writeFileSync(
    unreached,
    JSON.stringify({ ...JSON.parse(readFileSync(fx.circuit, "utf8")), target_loss: 1e-12 }),
  );
  viewer = await startViewer({
    circuits: [unreached],
    study: pf.studyDir,
    trajectory: pf.trajectory,
    port: 0,
    assetsDir: assets,
  });
  ({ profile, context } = await launchTestChromium({ width: 1440, height: 1000 }));
  page = context.pages()[0] ?? (await context.newPage());
  await page.goto(viewer.url);
}, 120_000);

afterAll(async () => {
  await context?.close();
  await viewer?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (fx) rmSync(fx.dir, { recursive: true, force: true });
});

const unreachedBanner = () => page.locator('[data-notice="none-reached"]').count();

const points = (chart: string, series: string) =>
  page.locator(`svg[data-chart="${chart}"] g[data-series="${series}"] polyline`).getAttribute("data-points");

describe("the viewer's model, study and trajectory pages in a browser", () => {
  it("charts the training metrics, one point per record, and shows wpe", async () => {
    await page.locator('[data-tab="model"]').click();
    await expect.poll(() => points("loss", "train")).toBe(String(METRIC_STEPS));
    expect(await unreachedBanner()).toBe(1);
    expect(await points("loss", "val")).toBe(String(VAL_STEPS.length));
    expect(await points("lr", "lr")).toBe(String(METRIC_STEPS));
    expect(await points("kept", "kept")).toBe(String(METRIC_STEPS));
    const map = page.locator("canvas.wpe-map");
    await map.waitFor();
    expect([await map.getAttribute("data-positions"), await map.getAttribute("data-channels")]).toEqual([
      "48",
      "8",
    ]);
    expect(await page.locator(".wpe [data-kind]").getAttribute("data-kind")).toBe("additive");
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, "viewer-model.png"), fullPage: true });
  });

  it("shows nonzero counts per residual channel and switches the histogram to a linear scale", async () => {
    await page.locator('[data-tab="embedding"]').click();
    const bars = page.locator("svg.channel-strip rect");
    await expect.poll(() => bars.count()).toBe(8);
    const wte = fx.model.params.get("transformer.wte.weight")!;
    const nonzeroTokens = (ch: number) => {
      let n = 0;
      for (let v = 0; v < wte.shape[0]; v++) if (wte.data[v * 8 + ch] !== 0) n++;
      return n;
    };
    expect(
      (await bars.evaluateAll((els) => els.map((e) => e.getAttribute("data-count")))).map(Number),
    ).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map(nonzeroTokens));
    await bars.nth(6).click();
    await expect.poll(() => page.locator("table.channel-table").getAttribute("data-channel")).toBe("6");
    await expect.poll(() => page.locator(".card h3").first().textContent()).toContain("Residual channel 6");

    const hist = page.locator(".histogram svg");
    await expect.poll(() => hist.getAttribute("data-scale")).toBe("log");
    const heights = () =>
      hist
        .locator("rect.bar")
        .evaluateAll((els) =>
          els.map((e) => [Number(e.getAttribute("data-count")), Number(e.getAttribute("height"))]),
        );
    await expect.poll(async () => (await heights()).length).toBeGreaterThan(0);
    const logHeights = await heights();
    await page.locator('[data-action="log-scale"]').uncheck();
    await expect.poll(() => hist.getAttribute("data-scale")).toBe("linear");
    const linear = await heights();
    const max = Math.max(...linear.map(([c]) => c));
    // Linear: height proportional to the count (104 px for the largest bin).
    for (const [c, h] of linear) expect(h).toBeCloseTo((c / max) * 104, 6);
    // Log: a bin of one count is still visible, unlike on the linear scale's proportional height.
    expect(logHeights).not.toEqual(linear);
  });

  it("slides over the trajectory's snapshots, nodes coloured by the step they entered", async () => {
    await page.locator('[data-tab="trajectory"]').click();
    const step = page.locator('[data-testid="snapshot-step"]');
    await expect.poll(() => step.textContent()).toBe(String(SNAPSHOT_STEPS[3]));
    // The trajectory is not about the circuit files: no word on whether they reach their targets.
    expect(await unreachedBanner()).toBe(0);
    const present = () =>
      page
        .locator("circle.traj-node:not(.absent)")
        .evaluateAll((els) =>
          els.map((e) => [e.getAttribute("data-node"), e.getAttribute("data-entry"), e.getAttribute("fill")]),
        );
    const atFinal = await present();
    expect(atFinal.map(([k]) => k).sort()).toEqual([...SNAPSHOT_NODES[3]].sort());
    for (const [k, entry] of atFinal) expect(Number(entry)).toBe(ENTRY_STEP[k!]);
    // Same entry step, same colour; a different entry step, a different colour.
    const fillOf = new Map(atFinal.map(([k, , f]) => [k!, f!]));
    expect(fillOf.get("0.attn.q:1")).toBe(fillOf.get("final_resid:0"));
    expect(fillOf.get("0.mlp.post_act:7")).toBe(fillOf.get("1.attn.k:2"));
    expect(
      new Set([fillOf.get("0.attn.q:1"), fillOf.get("0.mlp.post_act:7"), fillOf.get("final_resid:2")]).size,
    ).toBe(3);
    expect(await page.locator("circle.traj-node").count()).toBe(Object.keys(ENTRY_STEP).length);

    await page.locator("input.snapshot-slider").fill("1");
    await expect.poll(() => step.textContent()).toBe(String(SNAPSHOT_STEPS[1]));
    const atFirst = await present();
    expect(atFirst.map(([k]) => k).sort()).toEqual([...SNAPSHOT_NODES[1]].sort());
    // A node keeps its colour across snapshots: it is its entry step's.
    expect(atFirst.find(([k]) => k === "0.attn.q:1")![2]).toBe(fillOf.get("0.attn.q:1"));
    expect(await page.locator('svg[data-chart="task-loss"] line.marker').count()).toBe(1);
    expect(await points("size", "nodes")).toBe(String(SNAPSHOT_STEPS.length));
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, "viewer-trajectory.png"), fullPage: true });
  });

  it("shows the study and opens a cell's circuit in the circuit view", async () => {
    await page.locator('[data-tab="study"]').click();
    await expect.poll(() => page.locator("table.study-cells tbody tr").count()).toBe(3);
    expect(await unreachedBanner()).toBe(0);
    expect(await page.locator('figure[data-plot="edges_vs_target.svg"] img').count()).toBe(1);
    // Only the cell whose circuit file is in the study directory can be opened.
    expect(await page.locator('[data-action="open-cell"]').count()).toBe(1);
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, "viewer-study.png"), fullPage: true });
    await page.locator('tr[data-cell="0"] [data-action="open-cell"]').click();
    await page.waitForURL((u) => u.toString() !== viewer.url, { timeout: 30_000 });
    await page.locator("svg.overview").waitFor({ timeout: 30_000 });
    expect(await page.locator("select.circuit-select option").allTextContents()).toHaveLength(1);
    expect(new URL(page.url()).port).not.toBe(new URL(viewer.url).port);
  }, 60_000);
});
