import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionInfo } from "../../src/viewer/api_types.js";
import { CircuitOpener } from "../../src/viewer/circuit_opener.js";
import { startViewer, type RunningViewer } from "../../src/viewer/server.js";
import { Workspace, type ViewerOptions } from "../../src/viewer/workspace.js";
import { makeViewerFixture, type ViewerFixture } from "./fixture.js";
import { httpCall } from "./http_call.js";
import { writePanelsFixture, type PanelsFixture } from "./panels_fixture.js";

let fx: ViewerFixture;
let pf: PanelsFixture;
let options: ViewerOptions;
let viewer: RunningViewer;

beforeAll(async () => {
  fx = makeViewerFixture();
  pf = writePanelsFixture(fx);
  options = {
    circuits: [fx.circuit, fx.badCircuit],
    tokenizer: fx.tokenizerDir,
    corpus: [fx.corpus],
    windows: 8,
    study: pf.studyDir,
  };
  // Bound to every interface (allowed by --allow-remote): the viewers it opens must be allowed too.
  viewer = await startViewer({
    ...options,
    host: "0.0.0.0",
    allowRemote: true,
    port: 0,
    assetsDir: join(fx.dir, "no-front-end"),
  });
}, 60_000);

afterAll(async () => {
  await viewer?.close();
  if (fx) rmSync(fx.dir, { recursive: true, force: true });
});

const local = () => viewer.url.replace("0.0.0.0", "127.0.0.1");

describe("the request thread runs no model computation", () => {
  it("loads no task, means or snippets and computes no loss, yet shows the worker's headlines", async () => {
    const ws = viewer.workspace;
    expect(ws.circuits[0].file).toBeDefined();
    expect(ws.circuits[0].live).toBeUndefined();
    expect(ws.windows).toBeUndefined();

    const reply = await httpCall(local(), { path: "/api/session" });
    expect(reply.status).toBe(200);
    const session = JSON.parse(reply.body) as SessionInfo;
    // The numbers an evaluating Workspace computes, independently of the server.
    const full = new Workspace(options).session();
    expect(full.circuits[0].headline?.lossCircuit).toBeGreaterThan(0);
    expect(session.circuits.map((c) => [c.headline, c.liveError, c.error])).toEqual(
      full.circuits.map((c) => [c.headline, c.liveError, c.error]),
    );
    expect([session.samples, session.samplesError]).toEqual([full.samples, full.samplesError]);
    expect(session.samples).toBe(fx.corpus);
  });
});

describe("viewers opened from a study", () => {
  it("start on the main viewer's host with its --allow-remote", async () => {
    const opened = await httpCall(local(), {
      method: "POST",
      path: "/api/study/cell/0/open",
      headers: { "x-csp-token": viewer.token },
    });
    expect(opened.status, opened.body).toBe(200);
    const url = new URL((JSON.parse(opened.body) as { url: string }).url);
    expect(url.hostname).toBe("0.0.0.0");
    const child = await httpCall(`http://127.0.0.1:${url.port}/`, { path: "/api/session" });
    expect(child.status).toBe(200);
    expect((JSON.parse(child.body) as SessionInfo).circuits).toHaveLength(1);
  }, 60_000);

  it("pass allowRemote to the viewer they start", async () => {
    const seen: unknown[] = [];
    const opener = new CircuitOpener({
      host: "0.0.0.0",
      allowRemote: true,
      start: (o) => {
        seen.push([o.host, o.allowRemote, o.port]);
        return Promise.resolve({ url: "http://0.0.0.0:1/", close: () => Promise.resolve() });
      },
    });
    await opener.open({ circuits: [fx.circuit] });
    expect(seen).toEqual([["0.0.0.0", true, 0]]);
  });
});
