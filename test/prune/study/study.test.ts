import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { registerStudy } from "../../../src/cli/commands/study.js";
import { CspError } from "../../../src/errors.js";
import { loadModel } from "../../../src/model/checkpoint.js";
import { runStudy } from "../../../src/prune/study/run.js";
import type { StudyFile } from "../../../src/prune/study/study_file.js";
import { countNonzero } from "../../../src/tensor/sparse.js";
import { writeMarkerTask } from "../../helpers/planted_text.js";
import { writePlantedModelDir } from "./fixture.js";

const dir = mkdtempSync(join(tmpdir(), "csp-study-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const specPath = join(dir, "spec.json");
const out = join(dir, "out");

const SPEC = {
  models: [
    { name: "sparse-a", dir: "models/sparse-a" },
    { name: "dense-b", dir: join(dir, "models/dense-b") },
  ],
  tasks: [{ name: "marker", file: "tasks/marker.jsonl" }, "else_elif"],
  pairs: 20,
  target_losses: [0.3, 0.15],
  methods: ["learned", "attribution"],
  controls: ["shuffled-labels"],
  prune: { steps: 96, batch: 8, eval_pairs: 16, effects_pairs: 2, max_effect_nodes: 0, repair_rounds: 1 },
};
/** 2 models × 1 usable task × (2 targets × 2 methods + 1 control). */
const CELLS = 10;
const CELL_LINE =
  /^\[(\d+)\/(\d+)\] (\S+) (\S+) (learned|attribution) ([\d.]+)( shuffled-labels)?: (reached|NOT reached), (\d+) nodes, (\d+) edges, [\d.]+ s( \(ETA \w+\))?$/;

function study(spec: object = SPEC): { study: StudyFile; lines: string[] } {
  writeFileSync(specPath, JSON.stringify(spec));
  const lines: string[] = [];
  const s = runStudy({
    specPath,
    outDir: out,
    command: "csp study spec.json --out out",
    log: (l) => lines.push(l),
  });
  return { study: s, lines };
}

/** Every file under the study's circuits/ and tasks/ with its bytes and mtime. */
function snapshot(): Map<string, { text: string; mtime: number }> {
  const files = new Map<string, { text: string; mtime: number }>();
  for (const sub of ["circuits", "tasks"])
    for (const f of readdirSync(join(out, sub), { recursive: true, encoding: "utf8" })) {
      const p = join(out, sub, f);
      if (statSync(p).isFile())
        files.set(relative(out, p), { text: readFileSync(p, "utf8"), mtime: statSync(p).mtimeMs });
    }
  return files;
}

let first: StudyFile;
let firstLines: string[];
beforeAll(() => {
  writePlantedModelDir(join(dir, "models/sparse-a"), { seed: 4, pfrac: 0.25, valLoss: 3.4 });
  writePlantedModelDir(join(dir, "models/dense-b"), { seed: 5, pfrac: null, valLoss: 3.5, noiseDensity: 1 });
  writeMarkerTask(join(dir, "tasks/marker.jsonl"), 64);
  ({ study: first, lines: firstLines } = study());
});

describe("csp study", () => {
  it("prunes every cell and records models, tasks, cells and the summary in study.json", () => {
    const s = JSON.parse(readFileSync(join(out, "study.json"), "utf8")) as StudyFile;
    expect(s.summary).toEqual(first.summary);
    expect(s.command).toBe("csp study spec.json --out out");
    expect(s.machine.cores).toBeGreaterThan(0);
    // Resolved against the spec's directory, recorded relative to the study directory (out = dir/out).
    expect(s.spec.models.map((m) => m.dir)).toEqual(["../models/sparse-a", "../models/dense-b"]);
    expect(s.spec.tasks[0].file).toBe("../tasks/marker.jsonl");
    expect(s.models.map((m) => [m.dir, m.tokenizer_dir])).toEqual([
      ["../models/sparse-a", "../models/sparse-a/tokenizer"],
      ["../models/dense-b", "../models/dense-b/tokenizer"],
    ]);
    expect(s.spec.main_target).toBe(0.15);
    expect(s.spec.prune.steps).toBe(96);
    expect(s.spec.prune.lr).toBe(2e-2); // csp prune's default

    expect(s.models.map((m) => [m.name, m.kind, m.kind_from, m.val_loss, m.train_seconds])).toEqual([
      ["sparse-a", "sparse", "config", 3.4, 12.5],
      ["dense-b", "dense", "config", 3.5, 12.5],
    ]);
    for (const m of s.models) {
      // wte and lm_head 257×8 each, additive wpe 32×8, per layer c_attn 24×8 and three 8×8 matrices.
      expect(m.total_params).toBe(2 * 257 * 8 + 32 * 8 + 2 * (24 * 8 + 3 * 64));
      const model = loadModel(resolve(out, m.dir));
      const counted = model.specs.filter((p) => p.shape.length >= 2 && p.name !== "bigram_table");
      expect(m.nonzero_params).toBe(
        counted.reduce((n, p) => n + countNonzero(model.params.get(p.name)!.data), 0),
      );
    }
    expect(s.models[1].nonzero_params).toBeGreaterThan(s.models[0].nonzero_params);

    expect(s.tasks).toHaveLength(4);
    const task = (model: string, name: string) => s.tasks.find((t) => t.model === model && t.task === name)!;
    for (const model of ["sparse-a", "dense-b"]) {
      expect(task(model, "marker")).toMatchObject({
        learned: true,
        unavailable: null,
        file: "../tasks/marker.jsonl",
      });
      expect(task(model, "marker").loss_full).toBeLessThan(0.05);
      expect(task(model, "else_elif")).toMatchObject({ file: null, loss_full: null, learned: null });
      expect(task(model, "else_elif").unavailable).toMatch(
        /^task else_elif: this tokenizer makes only 0 of \d+ candidate words one token/,
      );
    }

    expect(s.cells).toHaveLength(CELLS);
    for (const c of s.cells) {
      expect(Object.keys(c).slice(0, 14)).toEqual([
        "model",
        "task",
        "target_loss",
        "method",
        "ablation",
        "control",
        "reached",
        "nodes",
        "edges",
        "loss_full",
        "loss_circuit",
        "loss_circuit_ablated",
        "seconds",
        "circuit",
      ]);
      const circuit = JSON.parse(readFileSync(join(out, c.circuit), "utf8"));
      expect(circuit).toMatchObject({
        num_nodes: c.nodes,
        num_edges: c.edges,
        reached: c.reached,
        method: c.method,
      });
      expect(c.circuit).toBe(
        `circuits/${c.model}/marker/${c.method}-${c.target_loss}${c.control ? `-${c.control}` : ""}.json`,
      );
      expect(existsSync(join(out, c.circuit.replace(/\.json$/, ".cell.json")))).toBe(true);
      if (c.control === null) {
        expect(c.loss_full).toBeCloseTo(task(c.model, "marker").loss_full!, 12); // the same test split
        expect(c.reached).toBe(true);
        expect(c.loss_circuit_ablated).toBeGreaterThan(0.5); // necessity: ablating the circuit breaks the task
      } else {
        expect([c.method, c.target_loss, c.reached]).toEqual(["learned", 0.15, false]);
      }
    }

    const sum = s.summary;
    expect([sum.sparse_model, sum.dense_model, sum.target_loss]).toEqual(["sparse-a", "dense-b", 0.15]);
    expect(sum.matching).toBe("nearest dense val_loss: 3.500 vs sparse 3.400");
    expect(sum.tasks_compared).toEqual(["marker"]);
    const cell = (model: string) =>
      s.cells.find(
        (c) => c.model === model && c.target_loss === 0.15 && c.method === "learned" && !c.control,
      )!;
    expect(sum.edge_ratio_geomean).toBeCloseTo(cell("dense-b").edges / cell("sparse-a").edges, 12);
    expect(sum.node_ratio_geomean).toBeCloseTo(cell("dense-b").nodes / cell("sparse-a").nodes, 12);
    expect(sum.edge_ratio_geomean_interpolated).toBeNull();
    expect(sum.controls.map((c) => [c.model, c.control, c.reached])).toEqual([
      ["sparse-a", "shuffled-labels", false],
      ["dense-b", "shuffled-labels", false],
    ]);
    expect(sum.necessity.map((n) => n.model)).toEqual(["sparse-a", "dense-b"]);
  });

  it("prints one progress line per cell and writes the report and the plots", () => {
    const cellLines = firstLines.filter((l) => l.startsWith("["));
    expect(cellLines).toHaveLength(CELLS);
    cellLines.forEach((l, i) => {
      const m = CELL_LINE.exec(l);
      expect(m, l).not.toBeNull();
      expect([Number(m![1]), Number(m![2])]).toEqual([i + 1, CELLS]);
    });
    expect(firstLines).toContain(`study: ${CELLS} cells, ${CELLS} to run`);
    const report = readFileSync(join(out, "report.md"), "utf8");
    for (const heading of [
      "## Models",
      "## Tasks",
      "## Summary",
      "## Sweep",
      "## Learned masks vs attribution",
      "## Controls",
      "## Necessity",
    ])
      expect(report).toContain(heading);
    expect(report).toContain("`csp study spec.json --out out`");
    for (const svg of [
      "edges_vs_target",
      "size_vs_pretrain_loss",
      "learned_vs_attribution",
      "inverse_pruning",
    ]) {
      expect(report).toContain(`(${svg}.svg)`);
      expect(readFileSync(join(out, `${svg}.svg`), "utf8")).toMatch(/^<svg[\s\S]*<\/svg>$/);
    }
    const edges = readFileSync(join(out, "edges_vs_target.svg"), "utf8");
    expect(edges).toContain(">sparse-a (sparse)</text>");
    expect(edges).toContain(">dense-b (dense)</text>");
    expect(edges.match(/<path [^>]*stroke-dasharray/g)).toHaveLength(1); // the dense model's line
    expect(readFileSync(join(out, "inverse_pruning.svg"), "utf8")).toContain(">circuit ablated</text>");
  });

  it("a rerun skips every cell and leaves the files unchanged; a lost cell is the only one rerun", () => {
    const before = snapshot();
    const again = study();
    expect(again.lines.filter((l) => l.startsWith("["))).toEqual([]);
    expect(again.lines).toContain(`study: ${CELLS} cells, 0 to run (${CELLS} already done)`);
    expect(snapshot()).toEqual(before);
    expect(again.study.cells).toEqual(first.cells);

    const lost = first.cells[3];
    unlinkSync(join(out, lost.circuit.replace(/\.json$/, ".cell.json")));
    const resumed = study();
    const ran = resumed.lines.filter((l) => l.startsWith("["));
    expect(ran).toHaveLength(1);
    expect(ran[0]).toMatch(
      new RegExp(`^\\[1/1\\] ${lost.model} ${lost.task} ${lost.method} ${lost.target_loss}: `),
    );
    const after = snapshot();
    const rewritten = [lost.circuit, lost.circuit.replace(/\.json$/, ".cell.json")];
    for (const [f, v] of before) if (!rewritten.includes(f)) expect(after.get(f)!.mtime, f).toBe(v.mtime);
    // Pruning is deterministic: the same circuit again.
    expect(after.get(lost.circuit)!.text).toBe(before.get(lost.circuit)!.text);
    expect({ ...resumed.study.cells[3], seconds: 0 }).toEqual({ ...lost, seconds: 0 });
  });

  it("a new target adds only its cells", () => {
    const { lines, study: s } = study({ ...SPEC, target_losses: [0.3, 0.15, 0.5] });
    expect(lines.filter((l) => l.startsWith("["))).toHaveLength(4); // 2 models × 2 methods
    expect(lines.filter((l) => l.startsWith("[")).every((l) => / 0\.5: /.test(l))).toBe(true);
    expect(s.cells).toHaveLength(CELLS + 4);
  });

  it("refuses a spec with an unknown field in one line naming the file and the field", async () => {
    writeFileSync(specPath, JSON.stringify({ ...SPEC, models: [{ ...SPEC.models[0], weights: "x" }] }));
    const program = new Command().exitOverride();
    registerStudy(program);
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const run = program.parseAsync(
        [specPath, "--out", out, "--quiet"].flatMap((a, i) => (i === 0 ? ["study", a] : [a])),
        { from: "user" },
      );
      await expect(run).rejects.toThrow(CspError);
      await expect(run).rejects.toThrow(
        `${specPath}: models[0].weights is not a known field (known: name, dir, kind, controls)`,
      );
    } finally {
      err.mockRestore();
    }
    expect(() => runStudy({ specPath, outDir: out, command: "" })).toThrow(/^[^\n]*$/);
    writeFileSync(specPath, JSON.stringify({ ...SPEC, tasks: [{ name: "gone", file: "tasks/gone.jsonl" }] }));
    expect(() => runStudy({ specPath, outDir: out, command: "" })).toThrow(
      new CspError(`${specPath}: tasks[0].file: ${join(dir, "tasks/gone.jsonl")} does not exist`),
    );
  });
});
