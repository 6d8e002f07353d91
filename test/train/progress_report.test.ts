import { afterEach, describe, expect, it, vi } from "vitest";
import { stderrReporter, type StepReport } from "../../src/train/progress_report.js";

afterEach(() => vi.restoreAllMocks());

const report = (step: number): StepReport => ({
  step,
  totalSteps: 120,
  loss: 2.5,
  valLoss: step >= 100 ? 2.25 : undefined,
  nonzero: 50,
  prunable: 200,
  tokensPerSecond: 1234.4,
  etaSeconds: 65,
});

describe("stderrReporter without a bar", () => {
  it("logs every lineEvery steps and the last one, with loss, val loss, nonzero weights and speed", () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => {
      lines.push(String(s));
      return true;
    });
    const reporter = stderrReporter({ bar: false, lineEvery: 50 });
    reporter.start(0, 120);
    for (let step = 0; step < 120; step++) reporter.step(report(step));
    reporter.stop();
    expect(lines.map((l) => l.replace(/, [\d.]+s\)/, ")"))).toEqual([
      "step: 0% (1/120) loss 2.500 | val - | nonzero 50 (25.0%) | 1234 tok/s | ETA 1m05s\n",
      "step: 41% (50/120) loss 2.500 | val - | nonzero 50 (25.0%) | 1234 tok/s | ETA 1m05s\n",
      "step: 83% (100/120) loss 2.500 | val - | nonzero 50 (25.0%) | 1234 tok/s | ETA 1m05s\n",
      "step: 100% (120/120) loss 2.500 | val 2.250 | nonzero 50 (25.0%) | 1234 tok/s | ETA 1m05s\n",
    ]);
  });
});
