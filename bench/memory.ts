import { join } from "node:path";
import { errorLine, torchMeasurement, type BenchContext } from "./common/context.js";
import { runOursChild, runTorchChild } from "./common/proc.js";
import { missing, noteChild, type MemorySection } from "./common/results.js";
import type { InferenceResult, InferenceSpec } from "./common/specs.js";
import type { InferenceAssets } from "./inference.js";

/**
 * Peak resident memory of loading the inference model and running one forward, each side in a fresh
 * process: ours reads VmHWM from /proc/self/status, PyTorch getrusage's ru_maxrss. The ratio is ours /
 * PyTorch's; the dense fp32 size of the weights is reported beside it as the yardstick of the target.
 */
export function runMemoryBench(ctx: BenchContext, a: InferenceAssets): MemorySection {
  const spec = (side: string): InferenceSpec => ({
    modelDir: a.modelDir,
    inputs: a.inputs,
    warmup: 0,
    runs: 1,
    threads: ctx.threads,
    logitsOut: null,
    out: join(ctx.tmp, "inference", `memory-${side}.json`),
  });
  const section: MemorySection = {
    ...missing("ratio", "not measured"),
    dense_fp32_bytes: a.denseFp32Bytes,
  };
  try {
    const o = runOursChild<InferenceResult>(
      "inference",
      spec("ours"),
      join(ctx.tmp, "inference", "mem-spec-ours.json"),
      ctx.oursEnv,
    );
    noteChild(section, "ours", o);
    section.ours_peak_rss_bytes = o.result.peakRssBytes;
    section.ours_vs_dense_fp32 =
      o.result.peakRssBytes === null ? null : o.result.peakRssBytes / a.denseFp32Bytes;
    ctx.log(`  ours: peak RSS ${gib(o.result.peakRssBytes)} (dense fp32 weights: ${gib(a.denseFp32Bytes)})`);
  } catch (e) {
    return { ...section, ...missing("ratio", `our side failed: ${errorLine(e)}`) };
  }
  if (ctx.torchUnavailable) return { ...section, ...missing("ratio", ctx.torchUnavailable) };
  try {
    const t = torchMeasurement(ctx, "memory", () =>
      runTorchChild<InferenceResult>(
        ["inference.py"],
        spec("torch"),
        join(ctx.tmp, "inference", "mem-spec-torch.json"),
      ),
    );
    noteChild(section, "torch", t);
    section.torch_peak_rss_bytes = t.result.peakRssBytes;
    ctx.log(`  torch: peak RSS ${gib(t.result.peakRssBytes)}`);
  } catch (e) {
    return { ...section, ...missing("ratio", `PyTorch side failed: ${errorLine(e)}`) };
  }
  if (section.ours_peak_rss_bytes == null || section.torch_peak_rss_bytes == null) {
    return { ...section, ...missing("ratio", "peak RSS unavailable (no /proc/self/status)") };
  }
  return {
    ...section,
    ratio: section.ours_peak_rss_bytes / section.torch_peak_rss_bytes,
    ratio_reason: undefined,
  };
}

export function gib(bytes: number | null | undefined): string {
  return bytes == null ? "n/a" : `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}
