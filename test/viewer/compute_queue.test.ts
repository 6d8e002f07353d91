import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EvaluateResponse } from "../../src/viewer/api_types.js";
import { startViewer, type RunningViewer } from "../../src/viewer/server.js";
import { makeViewerFixture, type ViewerFixture } from "./fixture.js";
import { httpCall, type Reply } from "./http_call.js";

let fx: ViewerFixture;
let viewer: RunningViewer;

beforeAll(async () => {
  fx = makeViewerFixture();
  viewer = await startViewer({ circuits: [fx.circuit], tokenizer: fx.tokenizerDir, port: 0 });
});

afterAll(async () => {
  await viewer?.close();
  rmSync(fx.dir, { recursive: true, force: true });
});

const post = (path: string, body: unknown): Promise<Reply> =>
  httpCall(viewer.url, {
    method: "POST",
    path,
    body: JSON.stringify(body),
    headers: { "content-type": "application/json", "x-csp-token": viewer.token },
  });
const edits = (disabledNodes: string[] = [], disabledEdges: string[] = []) => ({
  circuit: 0,
  disabledNodes,
  disabledEdges,
});

describe("compute off the request thread", () => {
  it("answers GET /api/session while evaluations queue, before they are done", async () => {
    // Heavier evaluations (every pair shown): the queue behind the first takes many forward passes.
    const heavy = { ...edits(), showPairs: [...Array(32).keys()] };
    const evaluations = Array.from({ length: 24 }, () => post("/api/evaluate", heavy));
    await Promise.race(evaluations);
    const session = await httpCall(viewer.url, { path: "/api/session" });
    const done = await Promise.all(evaluations);
    expect(session.status).toBe(200);
    expect(done.every((r) => r.status === 200)).toBe(true);
    // On the request thread, the session would wait for every evaluation already received.
    const last = Math.max(...done.map((r) => r.at));
    expect(session.at).toBeLessThan(last);
    expect(done.filter((r) => r.at > session.at).length).toBeGreaterThan(0);
  });

  it("a failed evaluation leaves the next one untouched", async () => {
    const good = JSON.parse(
      (await post("/api/evaluate", edits(["0.mlp.post_act:7"]))).body,
    ) as EvaluateResponse;
    const unknownNode = await post("/api/evaluate", edits(["0.mlp.post_act:7", "0.mlp.post_act:8"]));
    expect(unknownNode.status).toBe(400);
    expect(JSON.parse(unknownNode.body).error).toContain('"0.mlp.post_act:8"');
    const notModel = await post("/api/evaluate", edits(["9.mlp.post_act:1"]));
    expect(notModel.status).toBe(400);
    const badEdge = await post("/api/evaluate", edits([], ["0.mlp.post_act:7->0.mlp.resid_delta:99"]));
    expect(badEdge.status).toBe(400);
    expect(JSON.parse(badEdge.body).error).toContain('"0.mlp.post_act:7->0.mlp.resid_delta:99"');
    const malformed = await post("/api/evaluate", { circuit: 0, disabledNodes: "all" });
    expect(malformed.status).toBe(422);
    const emptyPrompt = await post("/api/evaluate", {
      ...edits(["0.mlp.post_act:7"]),
      prompt: { index: 0, textA: "", textB: "x = 'a'" },
    });
    expect(emptyPrompt.status).toBe(200);
    expect((JSON.parse(emptyPrompt.body) as EvaluateResponse).promptError).toMatch(/empty/);
    const after = await post("/api/evaluate", edits(["0.mlp.post_act:7"]));
    expect(after.status).toBe(200);
    const again = JSON.parse(after.body) as EvaluateResponse;
    expect(again.lossCircuit).toBe(good.lossCircuit);
    expect(again.lossCalibrated).toBe(good.lossCalibrated);
    expect(again.nodes).toBe(good.nodes);
  });

  it("left-truncates a prompt longer than the context and says how many tokens it dropped", async () => {
    const long = "for alpha in range(3):\n    beta['gamma'] = delta\n".repeat(12) + "x = print('";
    const length = fx.tokenizer.encode(long).length;
    expect(length).toBeGreaterThan(fx.model.dims.blockSize);
    const r = await post("/api/evaluate", { ...edits(), prompt: { index: 0, textA: long, textB: long } });
    expect(r.status).toBe(200);
    const res = JSON.parse(r.body) as EvaluateResponse;
    expect(res.promptError).toBeUndefined();
    expect(res.prompt?.droppedA).toBe(length - fx.model.dims.blockSize);
    expect(res.prompt?.textA.endsWith("x = print('")).toBe(true);
  });
});
