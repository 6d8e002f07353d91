import { test } from "vitest";
import { runTrainRequest } from "../../src/train/train_run.js";
import { stderrReporter } from "../../src/train/progress_report.js";

test("small", () => {
  const t0 = performance.now();
  const out = runTrainRequest({
    out: "/tmp/small-run",
    cache: "/tmp/small-cache",
    preset: "small",
    steps: "1500",
    stopAfterSteps: 20,
    log: (l) => console.log(((performance.now() - t0) / 1000).toFixed(1), l),
    reporter: stderrReporter({ lineEvery: 5 }),
  });
  console.log("total", (performance.now() - t0) / 1000, out.metrics.at(-1));
}, 1_000_000);
