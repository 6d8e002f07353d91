import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { readMetrics, writeMetrics, type StepMetrics } from "../../src/train/metrics.js";
import { lineChartSvg, niceTicks, trainingCurveSvg } from "../../src/train/plot_svg.js";

const rec = (step: number, loss: number, val?: number): StepMetrics => ({
  step,
  lr: 0.01,
  pfrac: 1,
  loss,
  val_loss: val,
  grad_norm: 1,
  nonzero: 10,
  prunable: 20,
  tokens: step * 100,
  elapsed_s: step,
});

describe("metrics.jsonl", () => {
  test("round-trips, keeps only steps before a resume point, and skips a torn last line", () => {
    const dir = mkdtempSync(join(tmpdir(), "csp-metrics-"));
    const path = join(dir, "metrics.jsonl");
    writeMetrics(path, [rec(0, 5), rec(1, 4, 4.5), rec(2, 3)]);
    expect(readMetrics(path).map((r) => r.step)).toEqual([0, 1, 2]);
    expect(readMetrics(path)[1].val_loss).toBe(4.5);
    expect(readMetrics(path, 2).map((r) => r.step)).toEqual([0, 1]);
    writeFileSync(path, readFileSync(path, "utf8") + '{"step": 3, "lo');
    expect(readMetrics(path).map((r) => r.step)).toEqual([0, 1, 2]);
    expect(readMetrics(join(dir, "absent.jsonl"))).toEqual([]);
  });
});

describe("SVG training curve", () => {
  test("nice ticks are 1/2/5 × 10^n steps covering the range", () => {
    expect(niceTicks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0.13, 0.61)).toEqual([0.2, 0.3, 0.4, 0.5, 0.6]);
    expect(niceTicks(3, 3)).toEqual([3]);
  });

  test("draws one path per series with its legend, escapes text, and scales points into the plot", () => {
    const svg = lineChartSvg(
      [
        {
          label: "a<b",
          color: "#f00",
          points: [
            [0, 1],
            [10, 2],
          ],
        },
        { label: "c", color: "#00f", points: [[5, 1.5]] },
      ],
      { title: "t & u", xLabel: "x", yLabel: "y", width: 400, height: 200 },
    );
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.endsWith("</svg>")).toBe(true);
    expect(svg).toContain("a&lt;b");
    expect(svg).toContain("t &amp; u");
    expect(svg.match(/<path /g)).toHaveLength(2);
    // x = 0 maps to the left edge of the plot (margin 64), x = 10 to its right edge (400 − 150)
    expect(svg).toMatch(/<path d="M64\.0,[\d.]+L250\.0,/);
  });

  test("log-scale curve drops non-positive values; an empty run says so", () => {
    const svg = trainingCurveSvg([rec(0, 5, 5.1), rec(1, 0), rec(2, 2, 2.2)], "run");
    expect(svg).toContain("validation loss");
    expect(svg.match(/<path d="[^"]*"/g)![0].match(/[ML]/g)).toHaveLength(2); // step 1 (loss 0) dropped
    expect(trainingCurveSvg([], "run")).toContain("no data yet");
  });
});
