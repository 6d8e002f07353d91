import { readFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";

/** The machine a benchmark ran on, printed and stored with every result. */
export interface MachineInfo {
  cpuModel: string;
  /** Logical CPUs the OS reports. */
  cores: number;
  memoryGiB: number;
  simd: string;
  node: string;
  platform: string;
  /** 1-minute load average when the benchmark started: other work on the machine skews timings. */
  loadAverage1m: number;
}

export function machineInfo(): MachineInfo {
  let simd = "";
  try {
    const flags = /^flags\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1].split(" ") ?? [];
    simd = ["avx512f", "avx2", "fma"].filter((f) => flags.includes(f)).join(" ");
  } catch {
    simd = "unknown";
  }
  return {
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    simd,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAverage1m: Math.round(loadavg()[0] * 100) / 100,
  };
}

export function formatMachine(m: MachineInfo): string {
  return (
    `${m.cpuModel}, ${m.cores} cores (${m.simd}), ${m.memoryGiB} GiB RAM, Node ${m.node}, ${m.platform}, ` +
    `load average ${m.loadAverage1m}`
  );
}
