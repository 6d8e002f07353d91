import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCircuit } from "../../src/circuit/read.js";
import { forward } from "../../src/model/gpt.js";
import { channelReplace, type Intervention } from "../../src/model/hooks.js";
import type { EvaluateResponse, NodeDetail, SessionInfo } from "../../src/viewer/api_types.js";
import { startViewer, type RunningViewer } from "../../src/viewer/server.js";
import { makeViewerFixture, type ViewerFixture } from "./fixture.js";

interface Reply {
  status: number;
  type: string;
  body: string;
}

/**
 * One HTTP request to the loopback server with the raw path as given (no URL normalisation). Requests
 * other than GET carry the session token, as a script would; `headers` adds or replaces headers.
 */
function call(
  base: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const url = new URL(base);
  return new Promise((ok, fail) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: {
          ...(body ? { "content-type": "application/json" } : {}),
          ...(method !== "GET" && viewer ? { "x-csp-token": viewer.token } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          ok({
            status: res.statusCode!,
            type: String(res.headers["content-type"]),
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.setTimeout(20_000, () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on("error", fail);
    req.end(body);
  });
}

/**
 * Binary cross-entropy of the correct token against the other at one position, after the calibration
 * logits ↦ scale·logits + shift[token]; written out here for the check.
 */
function bce(
  logits: Float32Array,
  off: number,
  good: number,
  bad: number,
  scale = 1,
  shift = new Map<number, number>(),
): number {
  const a = scale * logits[off + good] + (shift.get(good) ?? 0);
  const b = scale * logits[off + bad] + (shift.get(bad) ?? 0);
  return Math.log1p(Math.exp(b - a));
}

/** Mean ablation of every channel of each node location that `kept(loc, channel)` rejects. */
function meanAblationOutside(kept: (loc: string, channel: number) => boolean): Map<string, Intervention> {
  const interventions = new Map<string, Intervention>();
  for (const [loc, mean] of fx.means) {
    const channels = [...mean.keys()].filter((c) => !kept(loc, c));
    interventions.set(
      loc,
      channelReplace(
        channels,
        channels.map((c) => mean[c]),
      ),
    );
  }
  return interventions;
}

/**
 * Both prompts of every test pair of the task (the live loss is on the test split; the fixture's 4 test
 * pairs are fewer than the circuit's 12 evaluation pairs, so all of them), tokenised, with the correct
 * next token and the other.
 */
function testPrompts(): { ids: Int32Array; good: number; bad: number }[] {
  const lines = readFileSync(fx.task, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l))
    .filter((l) => l.split === "test");
  return lines.flatMap((line) =>
    [
      [line.a, line.a_next, line.b_next],
      [line.b, line.b_next, line.a_next],
    ].map(([text, good, bad]) => ({
      ids: Int32Array.from(fx.tokenizer.encode(text)),
      good: fx.tokenizer.encode(good)[0],
      bad: fx.tokenizer.encode(bad)[0],
    })),
  );
}

let fx: ViewerFixture;
let viewer: RunningViewer;

beforeAll(async () => {
  fx = makeViewerFixture();
  // The same circuit whose task file is gone: drawable, not re-evaluable.
  const orphan = JSON.parse(readFileSync(fx.circuit, "utf8"));
  orphan.task.path = join(fx.dir, "missing-task.jsonl");
  writeFileSync(join(fx.dir, "orphan.json"), JSON.stringify(orphan));
  viewer = await startViewer({
    circuits: [fx.circuit, fx.badCircuit, join(fx.dir, "orphan.json")],
    tokenizer: fx.tokenizerDir,
    corpus: [fx.corpus],
    windows: 16,
    port: 0,
    assetsDir: `${fx.dir}/no-assets-here`,
  });
});

afterAll(async () => {
  await viewer?.close();
  rmSync(fx.dir, { recursive: true, force: true });
});

describe("csp view server", () => {
  it("binds to loopback by default", () => {
    expect(viewer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it("reports what it loaded, including the unreadable circuit file", async () => {
    const r = await call(viewer.url, "GET", "/api/session");
    expect(r.status).toBe(200);
    const s = JSON.parse(r.body) as SessionInfo;
    expect(s.circuits).toHaveLength(3);
    expect(s.circuits[0].error).toBeUndefined();
    expect(s.circuits[0].liveError).toBeUndefined();
    expect(s.circuits[0].nodes).toBe(Object.values(fx.nodes).flat().length);
    expect(s.circuits[1].error).toContain("broken.json");
    expect(s.circuits[1].error).toContain("not valid JSON");
    expect(s.samples).toBe(fx.corpus);
    expect(s.model?.nLayer).toBe(2);
  });

  it("answers a bad circuit file with a clear error and keeps serving", async () => {
    const r = await call(viewer.url, "GET", "/api/circuit/1");
    expect(r.status).toBe(422);
    expect(r.type).toContain("application/json");
    const { error } = JSON.parse(r.body) as { error: string };
    expect(error).toMatch(/broken\.json: not valid JSON/);
    expect(error).not.toContain("\n");
    const again = await call(viewer.url, "GET", "/api/circuit/0");
    expect(again.status).toBe(200);
  });

  it("refuses path traversal and serves no file outside its configured set", async () => {
    for (const path of [
      "/../secret/key.txt",
      "/assets/../../secret/key.txt",
      "/%2e%2e/%2e%2e/etc/passwd",
      "/assets/..%2f..%2fpackage.json",
      "/api/file/circuit/..%2f..%2fsecret%2fkey.txt",
      "/..\\..\\etc\\passwd",
    ]) {
      const r = await call(viewer.url, "GET", path);
      expect([403, 404], path).toContain(r.status);
      expect(r.body).not.toContain("do not serve");
      expect(r.body).not.toContain("root:");
    }
    for (const path of [
      "/etc/passwd",
      "/secret/key.txt",
      "/package.json",
      "/api/file/circuit/7",
      "/api/file/model/0",
    ]) {
      const r = await call(viewer.url, "GET", path);
      expect(r.status, path).toBe(404);
    }
  });

  it("shows a circuit whose task file is missing, but says why it cannot re-evaluate it", async () => {
    const s = JSON.parse((await call(viewer.url, "GET", "/api/session")).body) as SessionInfo;
    expect(s.circuits[2].error).toBeUndefined();
    expect(s.circuits[2].liveError).toContain("missing-task.jsonl");
    expect((await call(viewer.url, "GET", "/api/circuit/2")).status).toBe(200);
    const r = await call(
      viewer.url,
      "POST",
      "/api/evaluate",
      JSON.stringify({ circuit: 2, disabledNodes: [], disabledEdges: [] }),
    );
    expect(r.status).toBe(422);
    expect(JSON.parse(r.body).error).toContain("missing-task.jsonl");
  });

  it("serves the configured circuit file itself, byte for byte", async () => {
    const r = await call(viewer.url, "GET", "/api/file/circuit/0");
    expect(r.status).toBe(200);
    expect(r.body).toBe(readFileSync(fx.circuit, "utf8"));
  });

  it("says plainly when the front end is not built", async () => {
    const r = await call(viewer.url, "GET", "/");
    expect(r.status).toBe(500);
    expect(r.type).toContain("text/html");
    expect(r.body).toContain("npm run build");
  });

  it("refuses malformed requests with 4xx, not a crash", async () => {
    expect((await call(viewer.url, "POST", "/api/evaluate", "{not json")).status).toBe(400);
    expect(
      (
        await call(
          viewer.url,
          "POST",
          "/api/evaluate",
          JSON.stringify({ circuit: 9, disabledNodes: [], disabledEdges: [] }),
        )
      ).status,
    ).toBe(422);
    expect(
      (
        await call(
          viewer.url,
          "POST",
          "/api/node",
          JSON.stringify({ circuit: 0, disabledNodes: [], disabledEdges: [], loc: "0.attn.q", index: 99 }),
        )
      ).status,
    ).toBe(422);
    expect((await call(viewer.url, "DELETE", "/api/session")).status).toBe(404);
    expect((await call(viewer.url, "GET", "/api/session")).status).toBe(200);
  });

  it("recomputes the task loss of the circuit with mean ablation, as an independent forward pass does", async () => {
    const off = "1.attn.v:3";
    const r = await call(
      viewer.url,
      "POST",
      "/api/evaluate",
      JSON.stringify({ circuit: 0, disabledNodes: [off], disabledEdges: [] }),
    );
    expect(r.status).toBe(200);
    const res = JSON.parse(r.body) as EvaluateResponse;
    // Expected: every channel outside the circuit (and the switched-off one) replaced by its mean.
    const interventions = meanAblationOutside((loc, c) => fx.nodes[loc].includes(c) && `${loc}:${c}` !== off);
    const prompts = testPrompts();
    let raw = 0;
    let calibrated = 0;
    let full = 0;
    for (const { ids, good: g, bad: b } of prompts) {
      const last = (ids.length - 1) * fx.model.dims.vocab;
      const ablated = forward(fx.model, ids, 1, ids.length, { interventions }).logits.data as Float32Array;
      const plain = forward(fx.model, ids, 1, ids.length).logits.data as Float32Array;
      raw += bce(ablated, last, g, b) / prompts.length;
      calibrated +=
        bce(ablated, last, g, b, fx.calibration.scale, fx.calibration.tokenShift) / prompts.length;
      full += bce(plain, last, g, b) / prompts.length;
    }
    expect(res.lossCircuit).toBeCloseTo(raw, 5);
    expect(res.lossCalibrated).toBeCloseTo(calibrated, 5);
    expect(res.lossFull).toBeCloseTo(full, 5);
    expect(res.nodes).toBe(Object.values(fx.nodes).flat().length - 1);
    const whole = JSON.parse(
      (
        await call(
          viewer.url,
          "POST",
          "/api/evaluate",
          JSON.stringify({ circuit: 0, disabledNodes: [], disabledEdges: [] }),
        )
      ).body,
    ) as EvaluateResponse;
    expect(whole.lossCircuit).not.toBeCloseTo(res.lossCircuit, 6);
    expect(res.millis).toBeLessThan(1000);
  });

  it("switching an edge off changes the loss the way editing that weight does", async () => {
    const circuit = JSON.parse(readFileSync(fx.circuit, "utf8")) as {
      edges: { src: string; dst: string; weight: number }[];
    };
    // The strongest edge into the last MLP's output, which final_resid reads: neuron i -> channel j is
    // c_proj.weight[j, i].
    const edge = circuit.edges
      .filter((e) => e.src.startsWith("1.mlp.post_act:") && e.dst.startsWith("1.mlp.resid_delta:"))
      .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight))[0];
    const [srcLoc, i] = edge.src.split(":");
    const j = Number(edge.dst.split(":")[1]);
    const layer = srcLoc.split(".")[0];
    const evalWith = async (disabledEdges: string[]) =>
      JSON.parse(
        (
          await call(
            viewer.url,
            "POST",
            "/api/evaluate",
            JSON.stringify({ circuit: 0, disabledNodes: [], disabledEdges }),
          )
        ).body,
      ) as EvaluateResponse;
    const base = await evalWith([]);
    const cut = await evalWith([`${edge.src}->${edge.dst}`]);
    expect(cut.edges).toBe(base.edges - 1);

    // Expected: the same circuit on a copy of the model whose weight is zeroed and whose bias gets w·mean.
    const params = new Map(fx.model.params);
    const wName = `transformer.h.${layer}.mlp.c_proj.weight`;
    const bName = `transformer.h.${layer}.mlp.c_proj.bias`;
    const w = params.get(wName)!.clone();
    const b = params.get(bName)!.clone();
    const cols = w.shape[1];
    expect(w.data[j * cols + Number(i)]).toBe(edge.weight);
    b.data[j] += edge.weight * fx.means.get(srcLoc)![Number(i)];
    w.data[j * cols + Number(i)] = 0;
    params.set(wName, w);
    params.set(bName, b);
    const edited = { ...fx.model, params };
    const interventions = meanAblationOutside((loc, c) => fx.nodes[loc].includes(c));
    const prompts = testPrompts();
    let raw = 0;
    for (const { ids, good, bad } of prompts) {
      const logits = forward(edited, ids, 1, ids.length, { interventions }).logits.data as Float32Array;
      raw += bce(logits, (ids.length - 1) * fx.model.dims.vocab, good, bad) / prompts.length;
    }
    expect(cut.lossCircuit).toBeCloseTo(raw, 5);
    expect(cut.lossCircuit).not.toBeCloseTo(base.lossCircuit, 6);
  });

  it("describes a node: connections, pretraining snippets at quantiles, and task activations", async () => {
    const r = await call(
      viewer.url,
      "POST",
      "/api/node",
      JSON.stringify({ circuit: 0, disabledNodes: [], disabledEdges: [], loc: "1.attn.q", index: 6 }),
    );
    expect(r.status).toBe(200);
    const d = JSON.parse(r.body) as NodeDetail;
    expect(d.head).toBe(1);
    expect(d.headChannel).toBe(2);
    const circuit = JSON.parse(readFileSync(fx.circuit, "utf8")) as { edges: { src: string; dst: string }[] };
    expect(d.inputs.length).toBe(circuit.edges.filter((e) => e.dst === "1.attn.q:6").length);
    expect(d.pretraining?.map((q) => q.fraction)).toEqual([0.001, 0.01, 0.1, 0.5]);
    for (const q of d.pretraining!) {
      expect(q.top.length).toBeGreaterThan(0);
      // Top snippets' focus activations are never below bottom snippets' ones.
      const lowestTop = Math.min(...q.top.map((s) => s.tokens[s.focus].act));
      const highestBottom = Math.max(...q.bottom.map((s) => s.tokens[s.focus].act));
      expect(lowestTop).toBeGreaterThanOrEqual(highestBottom);
    }
    expect(d.task?.classA.length).toBeGreaterThan(0);
    const a = d.task!.classA[0];
    expect(a.tokens.map((t) => t.text).join("")).toBe(
      readFileSync(fx.task, "utf8").split("\n")[0] &&
        JSON.parse(readFileSync(fx.task, "utf8").split("\n")[0]).a,
    );
  });

  it("exports the edited circuit as a circuit file without the switched-off node", async () => {
    const r = await call(
      viewer.url,
      "POST",
      "/api/export",
      JSON.stringify({ circuit: 0, disabledNodes: ["0.mlp.post_act:7"], disabledEdges: [] }),
    );
    expect(r.status).toBe(200);
    const out = JSON.parse(r.body) as {
      nodes: Record<string, number[]>;
      num_nodes: number;
      num_edges: number;
      edges: { src: string; dst: string }[];
      version: number;
    };
    expect(out.version).toBe(1);
    expect(out.nodes["0.mlp.post_act"]).toEqual([3, 9]);
    expect(out.num_nodes).toBe(Object.values(fx.nodes).flat().length - 1);
    expect(out.num_edges).toBe(out.edges.length);
    // The export is itself a valid circuit file for this model.
    const path = join(fx.dir, "exported.json");
    writeFileSync(path, r.body);
    expect(readCircuit(path).num_nodes).toBe(out.num_nodes);
    expect(out.edges.some((e) => e.src === "0.mlp.post_act:7" || e.dst === "0.mlp.post_act:7")).toBe(false);
  });
});
