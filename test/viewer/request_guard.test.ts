import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostAllowed } from "../../src/viewer/request_guard.js";
import { startViewer, type RunningViewer } from "../../src/viewer/server.js";
import { makeViewerFixture, type ViewerFixture } from "./fixture.js";
import { httpCall } from "./http_call.js";

let fx: ViewerFixture;
let viewer: RunningViewer;
let origin: string;
const evaluate = JSON.stringify({ circuit: 0, disabledNodes: [], disabledEdges: [] });

beforeAll(async () => {
  fx = makeViewerFixture();
  const assets = join(fx.dir, "web");
  mkdirSync(join(assets, "assets"), { recursive: true });
  writeFileSync(
    join(assets, "index.html"),
    "<!doctype html><html><head><title>v</title></head><body></body></html>",
  );
  writeFileSync(join(assets, "assets", "app.js"), "console.log(1);\n");
  viewer = await startViewer({
    circuits: [fx.circuit],
    tokenizer: fx.tokenizerDir,
    port: 0,
    assetsDir: assets,
  });
  origin = viewer.url.replace(/\/$/, "");
});

afterAll(async () => {
  await viewer?.close();
  rmSync(fx.dir, { recursive: true, force: true });
});

const get = (path: string, headers: Record<string, string> = {}) => httpCall(viewer.url, { path, headers });
const post = (path: string, body: string, headers: Record<string, string>) =>
  httpCall(viewer.url, { method: "POST", path, body, headers });

describe("Host check (DNS rebinding)", () => {
  it("refuses a Host that is not the bound address and port, for pages and the API", async () => {
    const port = new URL(viewer.url).port;
    for (const host of [
      `evil.example:${port}`,
      "evil.example",
      `127.0.0.1:${Number(port) + 1}`,
      `127.0.0.2:${port}`,
    ]) {
      for (const path of ["/api/session", "/", "/assets/app.js"]) {
        const r = await get(path, { host });
        expect(r.status, `${host} ${path}`).toBe(403);
        expect(r.body).not.toContain("circuits");
      }
    }
  });

  it("accepts the bound address and localhost (browsers resolve it to loopback themselves)", async () => {
    const port = new URL(viewer.url).port;
    expect((await get("/api/session", { host: `127.0.0.1:${port}` })).status).toBe(200);
    expect((await get("/api/session", { host: `localhost:${port}` })).status).toBe(200);
  });

  it("decides by the bound address: loopback, one interface, every interface (IP literals only)", () => {
    const at = (address: string) => ({ address, port: 8642, token: "t" });
    expect(hostAllowed("[::1]:8642", at("::1"))).toBe(true);
    expect(hostAllowed("localhost:8642", at("::1"))).toBe(true);
    expect(hostAllowed("localhost:8642", at("192.168.1.5"))).toBe(false);
    expect(hostAllowed("192.168.1.5:8642", at("192.168.1.5"))).toBe(true);
    expect(hostAllowed("192.168.1.5:8642", at("0.0.0.0"))).toBe(true);
    expect(hostAllowed("rebind.example:8642", at("0.0.0.0"))).toBe(false);
    expect(hostAllowed("127.0.0.1:8642@evil", at("127.0.0.1"))).toBe(false);
    expect(hostAllowed(undefined, at("127.0.0.1"))).toBe(false);
  });

  it("does not bind a non-loopback address without allowRemote", async () => {
    await expect(startViewer({ circuits: [], host: "0.0.0.0", port: 0 })).rejects.toThrow(/--allow-remote/);
  });
});

describe("Origin and session token (cross-site requests)", () => {
  it("refuses a POST from a foreign Origin before routing, also to unknown routes", async () => {
    for (const path of ["/api/evaluate", "/api/no-such-route", "/api/export"]) {
      const r = await post(path, evaluate, {
        origin: "http://evil.example",
        "content-type": "application/json",
      });
      expect(r.status, path).toBe(403);
      expect(JSON.parse(r.body).error).toContain("cross-origin");
    }
    const nullOrigin = await post("/api/evaluate", evaluate, { origin: "null", "x-csp-token": viewer.token });
    expect(nullOrigin.status).toBe(403);
  });

  it("refuses a text/plain POST without Origin unless it carries the session token", async () => {
    const plain = { "content-type": "text/plain" };
    const refused = await post("/api/evaluate", evaluate, plain);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).error).toContain("x-csp-token");
    const wrong = await post("/api/evaluate", evaluate, {
      ...plain,
      "x-csp-token": "x" + viewer.token.slice(1),
    });
    expect(wrong.status).toBe(403);
    const ok = await post("/api/evaluate", evaluate, { ...plain, "x-csp-token": viewer.token });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).lossCircuit).toBeGreaterThan(0);
  });

  it("accepts a same-origin POST (the page's own fetch)", async () => {
    const r = await post("/api/evaluate", evaluate, { origin, "content-type": "application/json" });
    expect(r.status).toBe(200);
  });

  it("refuses API reads the browser marks as cross-site", async () => {
    expect((await get("/api/session", { "sec-fetch-site": "cross-site" })).status).toBe(403);
    expect((await get("/api/session", { "sec-fetch-site": "same-origin" })).status).toBe(200);
  });

  it("hands the token to the page in index.html, and the page only", async () => {
    const page = await get("/");
    expect(page.status).toBe(200);
    expect(page.body).toContain(`<head><meta name="csp-session-token" content="${viewer.token}">`);
    expect(page.headers["cross-origin-resource-policy"]).toBe("same-origin");
    expect((await get("/api/session")).body).not.toContain(viewer.token);
  });
});

describe("ids and caching", () => {
  it("accepts only canonical non-negative decimal ids", async () => {
    expect((await get("/api/file/circuit/0")).status).toBe(200);
    for (const id of ["1e0", "01", "00", "0.0", "-0", "+0", "0x0", "%200", "0%20"]) {
      expect((await get(`/api/file/circuit/${id}`)).status, id).toBe(404);
      expect((await get(`/api/circuit/${id}`)).status, id).toBe(404);
    }
    expect((await get("/api/embedding/01")).status).toBe(404);
    expect((await get("/api/embedding/1")).status).toBe(200);
  });

  it("builds /api/circuit/N once and answers If-None-Match with 304", async () => {
    const first = await get("/api/circuit/0");
    expect(first.status).toBe(200);
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await get("/api/circuit/0");
    expect(again.body).toBe(first.body);
    expect(again.headers.etag).toBe(etag);
    const revalidated = await get("/api/circuit/0", { "if-none-match": etag });
    expect(revalidated.status).toBe(304);
    expect(revalidated.body).toBe("");
    expect((await get("/api/circuit/0", { "if-none-match": '"other"' })).status).toBe(200);
  });

  it("serves static files with an ETag and 304", async () => {
    const js = await get("/assets/app.js");
    expect(js.status).toBe(200);
    expect(js.body).toBe("console.log(1);\n");
    const r = await get("/assets/app.js", { "if-none-match": String(js.headers.etag) });
    expect(r.status).toBe(304);
  });
});
