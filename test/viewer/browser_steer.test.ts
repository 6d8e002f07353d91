import { readFileSync, rmSync } from "node:fs";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { steerFromRequest, type SteerReport } from "../../src/circuit/steer_request.js";
import { startViewer, type RunningViewer } from "../../src/viewer/server.js";
import { makeBridgedViewerFixture, type BridgedViewerFixture } from "./bridged_fixture.js";
import { builtFrontEnd } from "./front_end.js";
import { launchTestChromium } from "./chromium.js";

/**
 * The node panel's "Steer the dense model" action in a real Chromium (csp view --dense): present on a
 * bridged node of a bridged model only; its form starts from the task's first test pair; its table shows
 * what the library's steering computes.
 */

const BRIDGED = "1.attn.act_in:3";

let fx: BridgedViewerFixture;
let viewer: RunningViewer;
let plain: RunningViewer;
let context: BrowserContext;
let page: Page;
let profile: string;
let firstTest: { a: string; b: string; a_next: string; b_next: string };

beforeAll(async () => {
  fx = makeBridgedViewerFixture();
  const lines = readFileSync(fx.task, "utf8").trim().split("\n");
  firstTest = lines
    .map((l) => JSON.parse(l) as typeof firstTest & { split: string })
    .find((l) => l.split === "test")!;
  const assets = await builtFrontEnd();
  const common = { circuits: [fx.circuit], tokenizer: fx.tokenizerDir, port: 0, assetsDir: assets };
  viewer = await startViewer({ ...common, dense: fx.denseDir });
  plain = await startViewer(common);
  ({ profile, context } = await launchTestChromium({ width: 1680, height: 1250 }));
  page = context.pages()[0] ?? (await context.newPage());
}, 120_000);

afterAll(async () => {
  await context?.close();
  await viewer?.close();
  await plain?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (fx) rmSync(fx.dir, { recursive: true, force: true });
});

async function selectNode(key: string): Promise<void> {
  const sublayer = key.split(".").slice(0, 2).join(".");
  await page.locator(`.pill[data-sublayer="${sublayer}"]`).click();
  await page.locator(`svg.layer-graph g.node[data-node="${key}"]`).click();
  await page.locator(`.node-panel[data-node="${key}"]`).waitFor();
}

async function openViewer(v: RunningViewer): Promise<void> {
  await page.goto(v.url);
  await page.locator('[data-tab="circuit"]').click();
}

/** The table's probabilities, [strength][candidate], for one model. */
async function table(model: "dense" | "sparse"): Promise<number[][]> {
  const rows = page.locator('[data-testid="steer-table"] tbody tr');
  const out: number[][] = [];
  for (let i = 0; i < (await rows.count()); i++) {
    const cells = rows.nth(i).locator(`td[data-model="${model}"]`);
    const row: number[] = [];
    for (let c = 0; c < (await cells.count()); c++)
      row.push(Number(await cells.nth(c).getAttribute("data-p")));
    out.push(row);
  }
  return out;
}

const library = (extra: Partial<Parameters<typeof steerFromRequest>[0]>): SteerReport =>
  steerFromRequest({
    model: fx.modelDir,
    dense: fx.denseDir,
    node: BRIDGED,
    prompt: firstTest.a,
    candidates: [firstTest.a_next, firstTest.b_next],
    strengths: [0, 0.25, 0.5, 1],
    ...extra,
  });

describe("the steering action of the node panel", () => {
  it("on a bridged node: the form starts from the first test pair and the table shows the library's numbers", async () => {
    await openViewer(viewer);
    await selectNode(BRIDGED);
    const steer = page.locator(`.node-panel[data-node="${BRIDGED}"] [data-testid="steer"]`);
    await steer.locator('[data-action="steer-open"]').click();
    expect(await steer.locator('[data-field="prompt"]').inputValue()).toBe(firstTest.a);
    expect(await steer.locator('[data-field="counterfactual"]').inputValue()).toBe(firstTest.b);
    expect(await steer.locator('[data-field="candidate-0"]').inputValue()).toBe(firstTest.a_next);
    expect(await steer.locator('[data-field="candidate-1"]').inputValue()).toBe(firstTest.b_next);

    // As it starts: the counterfactual B at strengths 0, 0.25, 0.5, 1.
    await steer.locator('[data-action="steer-run"]').click();
    const byDefault = library({ counterfactual: firstTest.b });
    await expect.poll(() => table("dense")).toEqual(byDefault.denseMean);

    // A target value instead of the counterfactual, and strengths of one's own.
    await steer.locator('[data-field="mode-value"]').check();
    await steer.locator('[data-field="value"]').fill("3");
    await steer.locator('[data-field="strengths"]').fill("0, 1,4");
    await steer.locator('[data-action="steer-run"]').click();
    const expected = library({ value: 3, strengths: [0, 1, 4] });
    await expect.poll(() => table("dense")).toEqual(expected.denseMean);
    expect(await table("sparse")).toEqual(expected.sparseMean);
    const rows = page.locator('[data-testid="steer-table"] tbody tr');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-strength")))).toEqual([
      "0",
      "1",
      "4",
    ]);
    // The dense model does move with the strength, so the table is not a constant.
    expect(expected.denseMean[2][0]).not.toBeCloseTo(expected.denseMean[0][0], 4);
    await expect.poll(() => page.locator('svg[data-chart="steer"]').count()).toBe(1);
  });

  it("a request the engine refuses shows its one-line error in the panel", async () => {
    const steer = page.locator(`.node-panel[data-node="${BRIDGED}"] [data-testid="steer"]`);
    await steer.locator('[data-field="candidate-0"]').fill("print(");
    await steer.locator('[data-action="steer-run"]').click();
    await expect
      .poll(() => steer.locator('[data-testid="steer-error"]').textContent())
      .toMatch(/^--candidates "print\(" is \d+ tokens, expected one$/);
  });

  it("is absent on a node that is not bridged, and in a session without --dense", async () => {
    await selectNode("1.attn.q:2");
    await expect.poll(() => page.locator('[data-testid="steer"]').count()).toBe(0);

    await openViewer(plain);
    // The panel asks the session once when it first mounts: wait for that answer, then look.
    const asked = page.waitForResponse((r) => r.url().endsWith("/api/session"));
    await selectNode(BRIDGED);
    await asked;
    await page.locator(`.node-panel[data-node="${BRIDGED}"] [data-testid="file-delta"]`).waitFor();
    expect(await page.locator('[data-testid="steer"]').count()).toBe(0);
  });
});
