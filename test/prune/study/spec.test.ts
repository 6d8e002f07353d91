import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CspError } from "../../../src/errors.js";
import { DEFAULT_MASK_TRAIN } from "../../../src/prune/config.js";
import { planCells } from "../../../src/prune/study/plan.js";
import { parseStudySpec, readStudySpec } from "../../../src/prune/study/spec.js";

const FILE = "/studies/s1/spec.json";
const MINIMAL = { models: [{ name: "m", dir: "../zoo/m" }], tasks: ["else_elif"], target_losses: [0.15] };

/** The CspError message of parsing `raw`. */
function problem(raw: unknown): string {
  try {
    parseStudySpec(raw, FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(CspError);
    return (e as Error).message;
  }
  throw new Error("expected a CspError");
}

describe("study spec", () => {
  it("fills in the defaults and resolves paths against the spec's directory", () => {
    const spec = parseStudySpec(
      { ...MINIMAL, models: [...MINIMAL.models, { name: "d", dir: "/abs/d", kind: "dense" }] },
      FILE,
    );
    expect(spec).toMatchObject({
      models: [
        { name: "m", dir: "/studies/zoo/m" },
        { name: "d", dir: "/abs/d", kind: "dense" },
      ],
      tasks: [{ name: "else_elif", file: null }],
      pairs: 160,
      task_seed: 0,
      methods: ["learned"],
      controls: [],
      main_target: 0.15,
      ablation: "mean",
      compare: { sparse: null, dense: null },
    });
    expect(spec.prune).toMatchObject({
      steps: DEFAULT_MASK_TRAIN.steps,
      batch: 8, // pairs per mask step (docs/pruning.md: 16 sequences)
      eval_pairs: 32,
      repair_rounds: 3,
    });
    const full = parseStudySpec(
      {
        ...MINIMAL,
        tasks: ["else_elif", { name: "mine", file: "t/mine.jsonl" }],
        target_losses: [0.3, 0.05],
        main_target: 0.05,
        methods: ["attribution", "learned"],
        controls: ["random-init"],
        ablation: "zero",
        prune: { steps: 8, lr: 0.01 },
        compare: { sparse: "m" },
      },
      FILE,
    );
    expect(full.tasks[1]).toEqual({ name: "mine", file: "/studies/s1/t/mine.jsonl" });
    expect(full.prune).toMatchObject({ steps: 8, lr: 0.01, k_coef: 1e-4 });
    expect(full.compare).toEqual({ sparse: "m", dense: null });
  });

  it("runs a model's own controls instead of the study's when it names them", () => {
    const spec = parseStudySpec(
      {
        ...MINIMAL,
        models: [
          { name: "a", dir: "a", controls: ["random-init"] },
          { name: "b", dir: "b" },
          { name: "c", dir: "c", controls: [] },
        ],
        target_losses: [0.3, 0.15],
        controls: ["shuffled-labels"],
      },
      FILE,
    );
    const controls = planCells(spec, () => true)
      .filter((c) => c.control !== null)
      .map((c) => `${c.model} ${c.control} ${c.target_loss}`);
    expect(controls).toEqual(["a random-init 0.15", "b shuffled-labels 0.15"]);
    expect(planCells(spec, () => true)).toHaveLength(3 * 2 + 2);
    expect(problem({ ...MINIMAL, models: [{ name: "m", dir: "x", controls: ["none"] }] })).toMatch(
      /^\/studies\/s1\/spec\.json: models\[0\]\.controls/,
    );
  });

  it("refuses bad fields in one line naming the file and the field", () => {
    const cases: [unknown, string][] = [
      [{ ...MINIMAL, extra: 1 }, `${FILE}: "extra" is not a known field`],
      [
        { ...MINIMAL, models: [{ name: "m", dir: "x", size: 3 }] },
        `${FILE}: models[0].size is not a known field`,
      ],
      [{ ...MINIMAL, models: [] }, `${FILE}: models must not be empty`],
      [{ ...MINIMAL, models: [{ name: "a/b", dir: "x" }] }, `${FILE}: models[0].name must be a name`],
      [{ ...MINIMAL, models: [MINIMAL.models[0], MINIMAL.models[0]] }, `${FILE}: models[1].name repeats "m"`],
      [
        { ...MINIMAL, models: [{ name: "m", dir: "x", kind: "wide" }] },
        `${FILE}: models[0].kind must be "sparse" or "dense"`,
      ],
      [{ ...MINIMAL, tasks: ["nope"] }, `${FILE}: tasks[0] is not a built-in task: "nope"`],
      [{ ...MINIMAL, tasks: [{ name: "t" }] }, `${FILE}: tasks[0].file must be a path`],
      [{ ...MINIMAL, target_losses: [0.15, -1] }, `${FILE}: target_losses[1] must be a positive number`],
      [
        { ...MINIMAL, target_losses: [0.3] },
        `${FILE}: main_target 0.15 (the default) is not one of target_losses`,
      ],
      [{ ...MINIMAL, methods: ["magic"] }, `${FILE}: methods[0] must be one of learned, attribution`],
      [
        { ...MINIMAL, controls: ["random-init", "random-init"] },
        `${FILE}: controls[1] repeats "random-init"`,
      ],
      [{ ...MINIMAL, ablation: "half" }, `${FILE}: ablation must be one of mean, zero, resample`],
      [{ ...MINIMAL, pairs: 2 }, `${FILE}: pairs must be an integer ≥ 5`],
      [{ ...MINIMAL, prune: { steps: 0 } }, `${FILE}: prune.steps: expected an integer ≥ 1, got "0"`],
      [{ ...MINIMAL, prune: { lr: "fast" } }, `${FILE}: prune.lr must be a number`],
      [{ ...MINIMAL, prune: { epochs: 3 } }, `${FILE}: prune.epochs is not a known field`],
      [{ ...MINIMAL, compare: { sparse: "x" } }, `${FILE}: compare.sparse must name one of the models`],
      [{ tasks: ["else_elif"], target_losses: [0.15] }, `${FILE}: "models" is required`],
      [[], `${FILE}: spec must be a JSON object`],
    ];
    for (const [raw, start] of cases) {
      const message = problem(raw);
      expect(message.startsWith(start), `${message} should start with ${start}`).toBe(true);
      expect(message).not.toContain("\n");
    }
  });

  it("reads a file, refusing one that is not JSON", () => {
    const dir = mkdtempSync(join(tmpdir(), "csp-spec-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "spec.json");
    writeFileSync(file, JSON.stringify(MINIMAL));
    expect(readStudySpec(file).models[0].dir).toBe(join(dir, "../zoo/m"));
    writeFileSync(file, "{ models: [");
    expect(() => readStudySpec(file)).toThrow(new RegExp(`^${file}: not valid JSON`));
    expect(() => readStudySpec(join(dir, "absent.json"))).toThrow(/absent\.json: cannot read/);
  });
});
