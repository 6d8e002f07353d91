import { describe, expect, it } from "vitest";
import { CspError } from "../../../src/errors.js";
import type { StudyModel } from "../../../src/prune/study/models.js";
import type { StudyCell } from "../../../src/prune/study/plan.js";
import { edgesVsTargetSvg, learnedVsAttributionSvg } from "../../../src/prune/study/plots.js";
import { parseStudySpec } from "../../../src/prune/study/spec.js";
import {
  bracketingDense,
  chooseComparison,
  edgeSeries,
  geomean,
  interpolateLogLinear,
  summarize,
} from "../../../src/prune/study/summary.js";

function model(name: string, kind: "sparse" | "dense", val_loss: number | null): StudyModel {
  return {
    name,
    kind,
    kind_from: "spec",
    dir: `/m/${name}`,
    val_loss,
    nonzero_params: 1,
    total_params: 2,
    train_seconds: null,
    weights_hash: name,
    tokenizer_dir: "/t",
  };
}

function cell(
  m: string,
  task: string,
  edges: number | null,
  nodes = 1,
  o: Partial<StudyCell> = {},
): StudyCell {
  return {
    model: m,
    task,
    target_loss: 0.15,
    method: "learned",
    ablation: "mean",
    control: null,
    reached: edges !== null,
    nodes,
    edges: edges ?? 999,
    loss_full: 0.01,
    loss_circuit: 0.1,
    loss_circuit_ablated: 0.7,
    seconds: 1,
    circuit: "c.json",
    total_nodes: 100,
    loss_calibrated: 0.1,
    ...o,
  };
}

// Sparse s2 (3.3) is the best sparse model; d1 (3.2) is the nearest dense model, d2 (3.6) the one above.
const S1 = model("s1", "sparse", 3.6);
const S2 = model("s2", "sparse", 3.3);
const D1 = model("d1", "dense", 3.2);
const D2 = model("d2", "dense", 3.6);
const D3 = model("d3", "dense", 4.5);
const MODELS = [S1, S2, D1, D2, D3];
const NO_COMPARE = { sparse: null, dense: null };

describe("study summary math", () => {
  it("geometric means", () => {
    expect(geomean([2, 8])).toBeCloseTo(4, 12);
    expect(geomean([1, 10, 100])).toBeCloseTo(10, 12);
    expect(geomean([0, 5])).toBe(0);
    expect(geomean([])).toBeNull();
  });

  it("log-linear interpolation", () => {
    expect(interpolateLogLinear(3.5, [3, 100], [4, 400])).toBeCloseTo(200, 9);
    // a quarter of the way from 16 to 256 in log space: 16^0.75 · 256^0.25 = 8 · 4
    expect(interpolateLogLinear(3.3, [3.2, 16], [3.6, 256])).toBeCloseTo(32, 9);
    expect(interpolateLogLinear(3.2, [3.2, 16], [3.2, 16])).toBe(16);
  });

  it("matches the best sparse model with the dense model of nearest validation loss", () => {
    const c = chooseComparison(MODELS, NO_COMPARE, "s.json");
    expect([c.sparse?.name, c.dense?.name]).toEqual(["s2", "d1"]);
    expect(c.matching).toBe(
      "lowest sparse val_loss of 2 sparse models: 3.300; nearest dense val_loss: 3.200 vs sparse 3.300",
    );
    const named = chooseComparison(MODELS, { sparse: "s1", dense: "d3" }, "s.json");
    expect([named.sparse?.name, named.dense?.name]).toEqual(["s1", "d3"]);
    expect(named.matching).toBe(
      "sparse model named in the spec (val_loss 3.600); dense model named in the spec (val_loss 4.500)",
    );
    // s1 (3.6) alone: d2 has exactly its loss
    expect(chooseComparison([S1, D1, D2], NO_COMPARE, "s.json").dense?.name).toBe("d2");
    expect(() => chooseComparison(MODELS, { sparse: "d1", dense: null }, "s.json")).toThrow(
      new CspError("s.json: compare.sparse names d1, which is a dense model"),
    );
    const unknown = chooseComparison([model("s", "sparse", null), D2, D1], NO_COMPARE, "s.json");
    expect([unknown.dense?.name, unknown.matching]).toEqual([
      "d2",
      "first dense model (validation losses unknown)",
    ]);
    expect(chooseComparison([S1], NO_COMPARE, "s.json")).toMatchObject({
      dense: null,
      matching: "no dense model in the study",
    });
  });

  it("finds the dense models bracketing the sparse validation loss", () => {
    expect(bracketingDense(MODELS, S2)).toEqual({ below: D1, above: D2 });
    expect(bracketingDense(MODELS, model("s", "sparse", 3.0))).toBeNull(); // every dense model is worse
    expect(bracketingDense(MODELS, model("s", "sparse", 5))).toBeNull();
    expect(bracketingDense([D1, D2], S1)).toBeNull(); // d2 equals s1's loss, and nothing is above it
  });

  it("summarises ratios, interpolation, controls and necessity", () => {
    const spec = parseStudySpec(
      {
        models: MODELS.map((m) => ({ name: m.name, dir: m.dir })),
        tasks: ["else_elif", "for_while", "if_equals"],
        target_losses: [0.15],
        controls: ["random-init"],
      },
      "/s.json",
    );
    const cells = [
      // else_elif: s2 4 edges, d1 16, d2 256 → ratio 4; interpolated 32 → 8
      cell("s2", "else_elif", 4, 2),
      cell("d1", "else_elif", 16, 8),
      cell("d2", "else_elif", 256),
      // for_while: s2 9, d1 81, d2 1 → ratio 9; interpolated 81^0.75 = 27 → 3
      cell("s2", "for_while", 9, 3),
      cell("d1", "for_while", 81, 27),
      cell("d2", "for_while", 1),
      // if_equals: the dense model does not reach the target
      cell("s2", "if_equals", 5, 5),
      cell("d1", "if_equals", null),
      cell("s2", "else_elif", 3, 3, { control: "random-init", reached: false }),
    ];
    const s = summarize(spec, MODELS, cells, "/s.json");
    expect([s.sparse_model, s.dense_model, s.method, s.target_loss]).toEqual(["s2", "d1", "learned", 0.15]);
    expect(s.tasks_compared).toEqual(["else_elif", "for_while"]);
    expect(s.edge_ratio_geomean).toBeCloseTo(6, 9); // √(4 · 9)
    expect(s.node_ratio_geomean).toBeCloseTo(6, 9); // √(8/2 · 27/3)
    expect(s.interpolation).toEqual({ below: "d1", above: "d2", tasks: ["else_elif", "for_while"] });
    expect(s.edge_ratio_geomean_interpolated).toBeCloseTo(Math.sqrt(24), 9); // √(8 · 3)
    expect(s.per_task[0].dense_edges_interpolated).toBeCloseTo(32, 9);
    expect(s.per_task[2]).toMatchObject({
      task: "if_equals",
      sparse_edges: 5,
      dense_edges: null,
      edge_ratio: null,
      dense_edges_interpolated: null,
    });
    expect(s.controls).toEqual([
      { model: "s2", task: "else_elif", control: "random-init", reached: false, loss_circuit: 0.1 },
    ]);
    expect(s.necessity.map((n) => `${n.model}/${n.task}`)).toEqual([
      "s2/else_elif",
      "s2/for_while",
      "s2/if_equals",
      "d1/else_elif",
      "d1/for_while", // d1 did not reach if_equals: no circuit to ablate
    ]);
    // A circuit that reaches the target where the full model itself does not explains no behaviour of
    // the model: it is not compared (nor is it necessity evidence).
    const unlearned = cells.map((c) =>
      c.model === "d1" && c.task === "for_while" ? { ...c, loss_full: 0.4 } : c,
    );
    const u = summarize(spec, MODELS, unlearned, "/s.json");
    expect(u.tasks_compared).toEqual(["else_elif"]);
    expect(u.edge_ratio_geomean).toBeCloseTo(4, 9);
    expect(u.necessity.map((n) => `${n.model}/${n.task}`)).not.toContain("d1/for_while");
    const none = summarize(spec, MODELS, [], "/s.json");
    expect([none.edge_ratio_geomean, none.edge_ratio_geomean_interpolated, none.per_task]).toEqual([
      null,
      null,
      [],
    ]);
  });

  it("averages edges over the tasks every model reaches, else each model's own", () => {
    const at = (m: string, task: string, target: number, edges: number | null) =>
      cell(m, task, edges, 1, { target_loss: target });
    const cells = [
      at("s2", "a", 0.3, 2),
      at("s2", "a", 0.1, 8),
      at("d1", "a", 0.3, 4),
      at("d1", "a", 0.1, 64),
      at("s2", "b", 0.3, 8),
      at("s2", "b", 0.1, 32),
      at("d1", "b", 0.3, 4),
      at("d1", "b", 0.1, null), // d1 misses b at 0.1: b is not common
    ];
    const common = edgeSeries([S2, D1], cells, ["a", "b"], [0.3, 0.1], "learned");
    expect(common.rule).toBe("common");
    expect(common.series.map((s) => [s.model, s.tasks, s.points])).toEqual([
      [
        "s2",
        ["a"],
        [
          [0.1, 8],
          [0.3, 2],
        ],
      ],
      [
        "d1",
        ["a"],
        [
          [0.1, 64],
          [0.3, 4],
        ],
      ],
    ]);
    const own = edgeSeries([S2, D1], cells.slice(4), ["a", "b"], [0.3, 0.1], "learned");
    expect(own.rule).toBe("per-model");
    expect(own.series[0].points).toEqual([
      [0.1, 32],
      [0.3, 8],
    ]);
    expect(own.series[1]).toMatchObject({ tasks: [], points: [] });

    const svg = edgesVsTargetSvg(common.series, [0.3, 0.1]);
    expect(svg).toContain(">s2 (sparse)</text>");
    expect(svg).toContain(">d1 (dense)</text>");
    expect(svg).toContain(">0.3</text>"); // the targets are the x ticks
    expect(svg.match(/<path [^>]*stroke-dasharray/g)).toHaveLength(1);
    const scatter = learnedVsAttributionSvg(
      [S2],
      [cell("s2", "a", 10), cell("s2", "a", 40, 1, { method: "attribution" })],
    );
    expect(scatter).toContain(">y = x</text>");
    expect(scatter.match(/<circle /g)).toHaveLength(2); // the point and its legend mark
  });
});
