import { describe, expect, it } from "vitest";
import { CspError } from "../../src/errors.js";
import { validationBatches } from "../../src/data/validation_batches.js";

const ramp = (n: number) => Uint16Array.from({ length: n }, (_, i) => i);

describe("validationBatches", () => {
  it("cuts fixed windows from the start, overlapping by one, with a short last batch", () => {
    // 23 tokens, seqLen 5: windows start at 0, 5, 10, 15 (15..20 fits; 20..25 does not).
    const batches = [...validationBatches(ramp(23), { batchSize: 3, seqLen: 5 })];
    expect(batches.map((b) => b.rows)).toEqual([3, 1]);
    expect([...batches[0].tokens]).toEqual([0, 1, 2, 3, 4, 5, 5, 6, 7, 8, 9, 10, 10, 11, 12, 13, 14, 15]);
    expect([...batches[1].tokens]).toEqual([15, 16, 17, 18, 19, 20]);
  });

  it("thins to maxWindows evenly spread windows", () => {
    // 10 windows of seqLen 2 in 21 tokens; 4 of them: window floor(i*10/4) = 0, 2, 5, 7.
    const [batch] = [...validationBatches(ramp(21), { batchSize: 8, seqLen: 2, maxWindows: 4 })];
    expect([...batch.tokens]).toEqual([0, 1, 2, 4, 5, 6, 10, 11, 12, 14, 15, 16]);
  });

  it("is identical every time and rejects shards shorter than a window", () => {
    const a = [...validationBatches(ramp(500), { batchSize: 4, seqLen: 7 })];
    const b = [...validationBatches(ramp(500), { batchSize: 4, seqLen: 7 })];
    expect(a).toEqual(b);
    expect(() => [...validationBatches(ramp(5), { batchSize: 1, seqLen: 5 })]).toThrow(CspError);
  });
});
