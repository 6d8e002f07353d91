import { writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { viewCommand } from "../../src/cli/commands/view.js";
import type {
  ChannelCounts,
  MetricsView,
  SessionInfo,
  StudyView,
  TrajectoryView,
  WpeView,
} from "../../src/viewer/api_types.js";
import { startViewer, type RunningViewer } from "../../src/viewer/server.js";
import { studyCellViewerOptions } from "../../src/viewer/study_route.js";
import { readTrajectoryFile, snapshotViewerOptions } from "../../src/viewer/trajectory_route.js";
import { makeViewerFixture, type ViewerFixture } from "./fixture.js";
import { httpCall } from "./http_call.js";
import {
  ENTRY_STEP,
  METRIC_STEPS,
  SNAPSHOT_STEPS,
  VAL_STEPS,
  writePanelsFixture,
  type PanelsFixture,
} from "./panels_fixture.js";

/** One request to a viewer (POSTs carry its session token, as a script would). */
function call(v: RunningViewer | { url: string; token?: string }, method: string, path: string) {
  const url = new URL(path, v.url);
  return new Promise<{ status: number; json: unknown }>((ok, fail) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: url.pathname,
        headers: { "x-csp-token": v.token ?? "" },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          ok({ status: res.statusCode!, json: JSON.parse(Buffer.concat(chunks).toString()) }),
        );
      },
    );
    req.on("error", fail);
    req.end();
  });
}

const get = async <T>(v: RunningViewer, path: string) => {
  const r = await call(v, "GET", path);
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return r.json as T;
};

let fx: ViewerFixture;
let pf: PanelsFixture;
let viewer: RunningViewer;

beforeAll(async () => {
  fx = makeViewerFixture();
  pf = writePanelsFixture(fx);
  viewer = await startViewer({
    circuits: [fx.circuit],
    study: pf.studyDir,
    trajectory: pf.trajectory,
    port: 0,
    assetsDir: join(fx.dir, "no-front-end"),
  });
}, 60_000);

afterAll(async () => {
  await viewer?.close();
});

describe("the model panels' routes", () => {
  it("serves the training metrics of metrics.jsonl, one point per record", async () => {
    const m = await get<MetricsView>(viewer, "/api/metrics");
    expect(m.points.map((p) => p.step)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(m.points).toHaveLength(METRIC_STEPS);
    expect(m.points.filter((p) => p.valLoss !== undefined).map((p) => p.step)).toEqual(VAL_STEPS);
    // kept = nonzero / prunable = (1000 − 100·step) / 1000
    expect(m.points[4].kept).toBeCloseTo(0.6, 12);
    expect(m.points[2].loss).toBe(4);
    expect(m.last?.step).toBe(6);
    expect(m.note).toBeUndefined();
  });

  it("says why there are no metrics, and names a broken metrics file", async () => {
    writeFileSync(pf.metrics, "this is not json\n");
    const bad = await call(viewer, "GET", "/api/metrics");
    expect(bad.status).toBe(422);
    expect((bad.json as { error: string }).error).toBe(
      `${pf.metrics}: no readable training record (expected JSON lines)`,
    );
    writeFileSync(pf.metrics, "");
    const { rmSync } = await import("node:fs");
    rmSync(pf.metrics);
    const none = await get<MetricsView>(viewer, "/api/metrics");
    expect(none.points).toEqual([]);
    expect(none.note).toMatch(/metrics\.jsonl: not found/);
    writePanelsFixture(fx); // restore for the other tests
  });

  it("serves the position embedding with its kind and nonzero counts", async () => {
    const w = await get<WpeView>(viewer, "/api/wpe");
    const wpe = fx.model.params.get("transformer.wpe.weight")!;
    expect(w.kind).toBe("additive");
    expect([w.positions, w.channels]).toEqual([48, 8]);
    expect([w.shownPositions, w.shownChannels]).toEqual([48, 8]);
    expect(w.values[5 * 8 + 3]).toBeCloseTo(wpe.data[5 * 8 + 3], 3);
    // The random fixture's wpe is dense: every position is nonzero in every channel.
    expect(w.nonzeroPerChannel).toEqual(new Array(8).fill(48));
    expect(w.nonzero).toBe(48 * 8);
  });

  it("counts the nonzero weights of every residual channel", async () => {
    const c = await get<ChannelCounts>(viewer, "/api/channels");
    const p = (n: string) => fx.model.params.get(n)!;
    const column = (name: string, ch: number) => {
      const t = p(name);
      let n = 0;
      for (let r = 0; r < t.shape[0]; r++) if (t.data[r * t.shape[1] + ch] !== 0) n++;
      return n;
    };
    const row = (name: string, ch: number) =>
      Array.from(p(name).data.subarray(ch * p(name).shape[1], (ch + 1) * p(name).shape[1])).filter(
        (v) => v !== 0,
      ).length;
    for (let ch = 0; ch < 8; ch++) {
      expect(c.wte[ch]).toBe(column("transformer.wte.weight", ch));
      expect(c.readers[ch]).toBe(
        [0, 1].reduce(
          (s, l) =>
            s +
            column(`transformer.h.${l}.attn.c_attn.weight`, ch) +
            column(`transformer.h.${l}.mlp.c_fc.weight`, ch),
          0,
        ),
      );
      expect(c.writers[ch]).toBe(
        [0, 1].reduce(
          (s, l) =>
            s +
            row(`transformer.h.${l}.attn.c_proj.weight`, ch) +
            row(`transformer.h.${l}.mlp.c_proj.weight`, ch),
          0,
        ),
      );
    }
    // The fixture zeroes about 55% of the matrix entries: counts are partial, not the full widths.
    expect(c.readers.reduce((a, b) => a + b, 0)).toBeLessThan(2 * (24 + 16) * 8);
    expect(c.wpe).toEqual(new Array(8).fill(48));
  });
});

describe("the panels' routes in the ROUTES table", () => {
  it("cache what cannot change (wpe, channels, trajectory) with an ETag, and read the rest afresh", async () => {
    for (const path of ["/api/wpe", "/api/channels", "/api/trajectory"]) {
      const first = await httpCall(viewer.url, { path });
      expect(first.status, path).toBe(200);
      const etag = first.headers.etag as string;
      expect(etag, path).toMatch(/^".+"$/);
      const again = await httpCall(viewer.url, { path, headers: { "if-none-match": etag } });
      expect([again.status, again.body], path).toEqual([304, ""]);
    }
    for (const path of ["/api/metrics", "/api/study"]) {
      const reply = await httpCall(viewer.url, { path });
      expect([reply.status, reply.headers.etag, reply.headers["cache-control"]], path).toEqual([
        200,
        undefined,
        "no-store",
      ]);
    }
  });

  it("take only canonical indices, and only their own methods", async () => {
    const post = (path: string) =>
      httpCall(viewer.url, { method: "POST", path, headers: { "x-csp-token": viewer.token ?? "" } });
    expect((await post("/api/study/cell/01/open")).status).toBe(404);
    expect((await post("/api/trajectory/snapshot/1e0/open")).status).toBe(404);
    expect((await post("/api/wpe")).status).toBe(404);
  });
});

describe("the study page's routes", () => {
  it("lists the cells, the summary and the plots", async () => {
    const s = await get<StudyView>(viewer, "/api/study");
    expect(s.cells.map((c) => [c.index, c.targetLoss, c.circuitExists])).toEqual([
      [0, 0.15, true],
      [1, 0.05, false],
      [2, 0.3, false],
    ]);
    expect(s.cells[0].counts).toBe(true);
    expect(s.summary.sparse_model).toBe("m");
    expect(s.plots.map((p) => p.name)).toEqual(["edges_vs_target.svg"]);
    expect(s.plots[0].svg).toContain("<rect");
    expect(s.mainTarget).toBe(0.15);
    const session = await get<SessionInfo>(viewer, "/api/session");
    expect([session.study, session.trajectory]).toEqual([pf.studyDir, pf.trajectory]);
  });

  it("opens a cell's circuit with the study's model, tokenizer and task, and refuses missing or outside files", async () => {
    // What the cell's viewer is started with; the browser test opens one and finds the circuit view.
    expect(studyCellViewerOptions(pf.studyDir, 0)).toEqual({
      circuits: [pf.studyCircuit],
      model: fx.modelDir,
      tokenizer: fx.tokenizerDir,
      task: fx.task,
    });
    const missing = await call(viewer, "POST", "/api/study/cell/1/open");
    expect(missing.status).toBe(422);
    expect((missing.json as { error: string }).error).toMatch(/learned-0\.05\.json: not found/);
    const outside = await call(viewer, "POST", "/api/study/cell/2/open");
    expect(outside.status).toBe(422);
    expect((outside.json as { error: string }).error).toMatch(/cells\[2\]: \.\.\/outside\.json is outside/);
    expect((await call(viewer, "POST", "/api/study/cell/9/open")).status).toBe(422);
  });
});

describe("the trajectory page's routes", () => {
  it("serves the snapshots and each node's entry step", async () => {
    const t = await get<TrajectoryView>(viewer, "/api/trajectory");
    expect(t.snapshots.map((s) => s.step)).toEqual(SNAPSHOT_STEPS);
    expect(t.entryStep).toEqual(ENTRY_STEP);
    expect(t.snapshots.map((s) => s.circuitExists)).toEqual([false, false, false, true]);
    expect(t.snapshots[1].valLoss).toBeNull();
    expect([t.taskName, t.modelName, t.targetLoss, t.finalStep]).toEqual(["quotes", "fixture", 0.15, 300]);
  });

  it("opens a snapshot's circuit with the trajectory's task, and says why one cannot be opened", async () => {
    // What the snapshot's viewer is started with (starting one is the study test's business).
    expect(snapshotViewerOptions(pf.trajectory, 3)).toEqual({
      circuits: [pf.snapshotCircuit],
      task: fx.task,
      tokenizer: fx.tokenizerDir,
    });
    const unpruned = await call(viewer, "POST", "/api/trajectory/snapshot/0/open");
    expect(unpruned.status).toBe(422);
    expect((unpruned.json as { error: string }).error).toBe(
      `${pf.trajectory}: snapshots[0] (step 50) was not pruned`,
    );
    const missing = await call(viewer, "POST", "/api/trajectory/snapshot/2/open");
    expect((missing.json as { error: string }).error).toMatch(/step-000200\.json: not found/);
  });

  it("refuses a malformed trajectory.json with one line naming the file and the field", () => {
    const bad = join(fx.dir, "bad-trajectory.json");
    const good = JSON.parse(JSON.stringify(readTrajectoryFile(pf.trajectory)));
    const cases: [unknown, string][] = [
      [{ ...good, format: "other/2" }, `${bad}: format: expected "csp-trajectory/1", got "other/2"`],
      [{ ...good, snapshots: [] }, `${bad}: snapshots: expected a non-empty list`],
      [
        { ...good, snapshots: [good.snapshots[1], good.snapshots[0]] },
        `${bad}: snapshots[1].step: steps must ascend (50 after 100)`,
      ],
      [
        { ...good, snapshots: [{ ...good.snapshots[0], task_loss: "0.2" }] },
        `${bad}: snapshots[0].task_loss: expected a number, got "0.2"`,
      ],
    ];
    for (const [content, message] of cases) {
      writeFileSync(bad, JSON.stringify(content));
      expect(() => readTrajectoryFile(bad)).toThrow(message);
    }
    writeFileSync(bad, "{");
    expect(() => readTrajectoryFile(bad)).toThrow(/bad-trajectory\.json: not valid JSON/);
  });

  it("reads what csp trajectory writes: the committed results, and a null overlap of two empty circuits", () => {
    // docs/trajectory/*/trajectory.json are real `csp trajectory` outputs (docs/trajectory.md).
    const real = readTrajectoryFile("docs/trajectory/indent_for/trajectory.json");
    expect(real.snapshots.length).toBe(13);
    expect(real.snapshots.at(-1)?.jaccard_with_final).toBe(1);
    const empty = join(fx.dir, "empty-overlap.json");
    const good = JSON.parse(JSON.stringify(readTrajectoryFile(pf.trajectory)));
    good.snapshots[0] = { ...good.snapshots[0], jaccard_with_final: null, node_set: [], nodes: 0, edges: 0 };
    writeFileSync(empty, JSON.stringify(good));
    expect(readTrajectoryFile(empty).snapshots[0]?.jaccard_with_final).toBeNull();
    good.snapshots[0].jaccard_with_final = "none";
    writeFileSync(empty, JSON.stringify(good));
    expect(() => readTrajectoryFile(empty)).toThrow(
      `${empty}: snapshots[0].jaccard_with_final: expected a number or null, got "none"`,
    );
  });

  it("csp view stops with one line when the study or trajectory cannot be read", async () => {
    await expect(viewCommand([], { study: join(fx.dir, "nowhere") })).rejects.toThrow(
      `${join(fx.dir, "nowhere", "study.json")}: not found (a csp study output directory holds it)`,
    );
    writeFileSync(join(fx.dir, "secret", "study.json"), "[1, 2]");
    await expect(viewCommand([], { study: join(fx.dir, "secret") })).rejects.toThrow(
      /study\.json: not a csp study result/,
    );
    await expect(viewCommand([], { trajectory: join(fx.dir, "quotes.jsonl") })).rejects.toThrow(
      /quotes\.jsonl: not valid JSON/,
    );
  });
});
