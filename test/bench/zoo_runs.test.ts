import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { zooWholeRun } from "../../bench/zoo_runs.js";

describe("the whole-run comparison from the committed zoo", () => {
  const dir = mkdtempSync(join(tmpdir(), "csp-zoo-runs-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (model: string, rows: [number, number, number?][]) => {
    mkdirSync(join(dir, model), { recursive: true });
    writeFileSync(
      join(dir, model, "metrics.jsonl"),
      rows
        .map(([step, elapsed_s, val_loss]) =>
          JSON.stringify({ step, elapsed_s, loss: 3, ...(val_loss === undefined ? {} : { val_loss }) }),
        )
        .join("\n") + "\n",
    );
  };

  it("times every model to the sparse model's final validation loss", () => {
    write("sparse", [
      [0, 1],
      [99, 100, 3],
      [199, 200, 2.5],
    ]);
    write("small", [
      [99, 10, 2.9],
      [199, 20, 2.6],
    ]);
    write("big", [
      [99, 30, 2.4],
      [199, 60, 2.2],
    ]);
    const w = zooWholeRun("sparse", ["small", "big"], dir);
    expect(w.targetLoss).toBe(2.5);
    expect(w.sparse).toMatchObject({ step: 200, seconds: 200 });
    expect(w.dense).toEqual([
      { model: "small", minSteps: 0, step: null, seconds: null, finalValLoss: 2.6 },
      { model: "big", minSteps: 0, step: 100, seconds: 30, finalValLoss: 2.2 },
    ]);
    expect(w.fastestDense).toBe("big");
    expect(w.sparseOverFastestDense).toBeCloseTo(200 / 30, 12);
  });

  it("counts the sparse model only once its anneal has ended", () => {
    // The anneal ends at step 100 of 200 (stop_frac 0.5): the dip to 2.4 at 100 steps does not count.
    write("annealed", [
      [99, 100, 2.4],
      [149, 150, 2.7],
      [199, 200, 2.5],
    ]);
    writeFileSync(
      join(dir, "annealed", "config.json"),
      JSON.stringify({ train: { pfrac_anneal: true, pfrac_anneal_stop_frac: 0.5, total_steps: 200 } }),
    );
    const w = zooWholeRun("annealed", ["big"], dir);
    expect(w.sparse).toMatchObject({ minSteps: 101, step: 200, seconds: 200 });
  });

  it("names the missing log", () => {
    expect(() => zooWholeRun("sparse", ["absent"], dir)).toThrow(/absent.*metrics\.jsonl: missing/);
  });
});
