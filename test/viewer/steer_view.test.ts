import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { steerFromRequest } from "../../src/circuit/steer_request.js";
import { saveModel } from "../../src/model/checkpoint.js";
import type { SessionInfo } from "../../src/viewer/api_types.js";
import { startViewer, type RunningViewer } from "../../src/viewer/server.js";
import { Workspace } from "../../src/viewer/workspace.js";
import { randomModel, testConfig } from "../helpers/models.js";
import { makeBridgedViewerFixture, type BridgedViewerFixture } from "./bridged_fixture.js";
import { httpCall } from "./http_call.js";

/** POST /api/steer and session.steer (csp view --dense): what the route refuses and what it answers. */

let fx: BridgedViewerFixture;
let viewer: RunningViewer;
let plain: RunningViewer;

beforeAll(async () => {
  fx = makeBridgedViewerFixture();
  const common = {
    circuits: [fx.circuit],
    tokenizer: fx.tokenizerDir,
    port: 0,
    assetsDir: join(fx.dir, "none"),
  };
  viewer = await startViewer({ ...common, dense: fx.denseDir });
  plain = await startViewer(common);
}, 60_000);

afterAll(async () => {
  await viewer?.close();
  await plain?.close();
  if (fx) rmSync(fx.dir, { recursive: true, force: true });
});

async function call(v: RunningViewer, path: string, body?: unknown) {
  const reply = await httpCall(v.url, {
    method: body === undefined ? "GET" : "POST",
    path: `/api/${path}`,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: body === undefined ? {} : { "content-type": "application/json", "x-csp-token": v.token },
  });
  return { status: reply.status, json: JSON.parse(reply.body) as Record<string, unknown> };
}

const request = (extra: Record<string, unknown>) => ({
  circuit: 0,
  node: "1.attn.act_in:3",
  prompt: "x = print(",
  value: 2,
  candidates: ['"', "'"],
  strengths: [0, 1, 4],
  ...extra,
});

describe("csp view --dense: steering from the viewer", () => {
  it("the session names the dense model and the first test pair of the circuit's task as the form's defaults", async () => {
    const { json } = await call(viewer, "session");
    const lines = readFileSync(fx.task, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const firstTest = lines.find((l: { split: string }) => l.split === "test");
    expect((json as unknown as SessionInfo).steer).toEqual({
      dense: fx.denseDir,
      defaults: {
        0: {
          prompt: firstTest.a,
          counterfactual: firstTest.b,
          candidates: [firstTest.a_next, firstTest.b_next],
        },
      },
    });
    expect(((await call(plain, "session")).json as unknown as SessionInfo).steer).toBeUndefined();
  });

  it("answers a bridged node of the circuit with the library's steering report", async () => {
    const { status, json } = await call(viewer, "steer", request({}));
    expect(status).toBe(200);
    const expected = steerFromRequest({
      model: fx.modelDir,
      dense: fx.denseDir,
      node: "1.attn.act_in:3",
      prompt: "x = print(",
      value: 2,
      candidates: ['"', "'"],
      strengths: [0, 1, 4],
    });
    expect(json).toEqual(JSON.parse(JSON.stringify(expected)));
    // Strength moves the dense model: the probabilities are not all the same.
    const p = (json.denseMean as number[][]).map((row) => row[0]);
    expect(Math.abs(p[2] - p[0])).toBeGreaterThan(1e-4);
  });

  it.each([
    [
      { node: "0.mlp.post_act:3" },
      400,
      /^node "0\.mlp\.post_act:3" is not bridged: bridges carry the sublayer inputs/,
    ],
    [{ node: "final_resid:0" }, 400, /is not bridged/],
    [{ value: undefined }, 400, /^give exactly one of counterfactual and value$/],
    [{ strengths: [0, "x"] }, 400, /^strengths must be 1 to 16 finite numbers$/],
    [{ candidates: [] }, 400, /^candidates must be 1 to 8 token texts$/],
    [
      { node: "1.attn.act_in:1" },
      422,
      /circuit\.json: node 1\.attn\.act_in:1 is not in the circuit \(its 1\.attn\.act_in nodes: 0, 3, 6\)$/,
    ],
    [{ candidates: ["print("] }, 422, /^--candidates "print\(" is \d+ tokens, expected one$/],
  ] as [Record<string, unknown>, number, RegExp][])(
    "refuses %o with a one-line %i",
    async (extra, status, message) => {
      const reply = await call(viewer, "steer", request(extra));
      expect(reply.status).toBe(status);
      expect(reply.json.error).toMatch(message);
      expect(String(reply.json.error)).not.toContain("\n");
    },
  );

  it("without --dense, the route refuses every node with a one-line 400", async () => {
    const reply = await call(plain, "steer", request({}));
    expect(reply).toEqual({
      status: 400,
      json: { error: "steering needs the dense model: start the viewer with csp view --dense DIR" },
    });
  });

  it("a dense model the bridges do not join: the session says why, and no defaults are offered", () => {
    const wideDir = join(fx.dir, "wide");
    const wide = testConfig({ ...fx.dense.config, d_model: 6, n_head: 2, d_head: 3 });
    saveModel(wideDir, randomModel(wide, 3, "f32"));
    const ws = new Workspace({ circuits: [fx.circuit], tokenizer: fx.tokenizerDir, dense: wideDir });
    expect(ws.session().steer).toEqual({
      dense: wideDir,
      error: `${join(fx.modelDir, "bridges.safetensors")}: bridges join a dense model of 2 layers × width 4, the dense model given has 2 × 6`,
      defaults: {},
    });
  });
});
