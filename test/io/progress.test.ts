import { describe, expect, it } from "vitest";
import { createProgress, stderrProgress } from "../../src/io/progress.js";

/** A non-TTY stream that keeps what is written to it. */
function recorder(): { lines: string[]; stream: NodeJS.WriteStream } {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
  return { lines, stream };
}

describe("createProgress (non-TTY)", () => {
  it("logs a start line, then one line per 10% step", () => {
    const { lines, stream } = recorder();
    const progress = createProgress("work", 1000, { stream });
    for (let i = 1; i <= 1000; i++) progress.update(i);
    progress.stop();
    expect(lines.length).toBe(11);
    expect(lines[0]).toMatch(/^work: 0% \(1\/1000, [\d.]+s\)\n$/);
    expect(lines[1]).toMatch(/^work: 10% \(100\/1000, [\d.]+s\)\n$/);
    expect(lines[10]).toMatch(/^work: 100% \(1000\/1000/);
  });

  it("with lineEvery and a start: a line every n units from the start on, one at the end, details appended", () => {
    const { lines, stream } = recorder();
    const progress = createProgress("step", 230, { stream, start: 100, lineEvery: 50 });
    for (let i = 101; i <= 230; i++) progress.update(i, `loss ${i}`);
    expect(lines.map((l) => l.replace(/, [\d.]+s\)/, ")"))).toEqual([
      "step: 43% (101/230) loss 101\n",
      "step: 65% (150/230) loss 150\n",
      "step: 86% (200/230) loss 200\n",
      "step: 100% (230/230) loss 230\n",
    ]);
  });
});

describe("stderrProgress", () => {
  it("quiet: the displays draw nothing", () => {
    const { lines, stream } = recorder();
    const write = process.stderr.write;
    process.stderr.write = stream.write;
    try {
      const bar = stderrProgress({ quiet: true })("work", 10);
      for (let i = 1; i <= 10; i++) bar.update(i);
      bar.stop();
    } finally {
      process.stderr.write = write;
    }
    expect(lines).toEqual([]);
  });
});
