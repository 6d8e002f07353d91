import { describe, expect, it } from "vitest";
import { createProgress } from "../../src/data/progress.js";

describe("createProgress (non-TTY)", () => {
  it("logs a start line, then one line per 10% step", () => {
    const lines: string[] = [];
    const stream = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
    const progress = createProgress("work", 1000, { stream });
    for (let i = 1; i <= 1000; i++) progress.update(i);
    progress.stop();
    expect(lines.length).toBe(11);
    expect(lines[0]).toMatch(/^work: 0% \(1\/1000, [\d.]+s\)\n$/);
    expect(lines[1]).toMatch(/^work: 10% \(100\/1000, [\d.]+s\)\n$/);
    expect(lines[10]).toMatch(/^work: 100% \(1000\/1000/);
  });
});
