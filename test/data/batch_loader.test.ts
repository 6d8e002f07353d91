import { describe, expect, it } from "vitest";
import { CspError } from "../../src/errors.js";
import { BatchLoader, type BatchLoaderState } from "../../src/data/batch_loader.js";

/** A shard whose token at position i is i, so every window shows where it was cut. */
const ramp = (n: number) => Uint16Array.from({ length: n }, (_, i) => i);
const rowsOf = (b: { rows: number; width: number; tokens: Int32Array }) =>
  Array.from({ length: b.rows }, (_, r) => [...b.tokens.subarray(r * b.width, (r + 1) * b.width)]);

describe("BatchLoader", () => {
  it("yields [B, T+1] windows of consecutive tokens that tile the shard once per epoch", () => {
    const tokens = ramp(1000);
    const seqLen = 16;
    const loader = new BatchLoader(tokens, { batchSize: 4, seqLen, seed: 3 });
    const windows = loader.windowsThisEpoch;
    const starts: number[] = [];
    while (starts.length < windows) {
      const batch = loader.next();
      expect(batch.rows).toBe(4);
      expect(batch.width).toBe(17);
      for (const row of rowsOf(batch)) {
        for (let j = 1; j < row.length; j++) expect(row[j]).toBe(row[j - 1] + 1);
        if (starts.length < windows) starts.push(row[0]);
      }
    }
    starts.sort((a, b) => a - b);
    const shift = starts[0];
    expect(shift).toBeLessThan(seqLen);
    // Windows start every seqLen tokens (overlapping by one), each exactly once, up to the end.
    expect(starts).toEqual(Array.from({ length: windows }, (_, k) => shift + k * seqLen));
    expect(starts[windows - 1] + seqLen).toBeLessThanOrEqual(999);
    expect(starts[windows - 1] + 2 * seqLen).toBeGreaterThan(999);
  });

  it("is a pure function of the seed, and shuffles", () => {
    const tokens = ramp(5000);
    const take = (seed: number) => {
      const loader = new BatchLoader(tokens, { batchSize: 8, seqLen: 32, seed });
      return [0, 1, 2].map(() => rowsOf(loader.next()).map((r) => r[0]));
    };
    expect(take(11)).toEqual(take(11));
    expect(take(11)).not.toEqual(take(12));
    const firstStarts = take(11).flat();
    const sorted = [...firstStarts].sort((a, b) => a - b);
    expect(firstStarts).not.toEqual(sorted);
  });

  it("resumes bit-identically from a JSON round-tripped state, across epoch boundaries", () => {
    const tokens = ramp(700);
    const options = { batchSize: 5, seqLen: 10, seed: 42 };
    const straight = new BatchLoader(tokens, options);
    const expected: number[][][] = [];
    let saved: BatchLoaderState | undefined;
    for (let step = 0; step < 40; step++) {
      if (step === 17) saved = JSON.parse(JSON.stringify(straight.state())) as BatchLoaderState;
      expected.push(rowsOf(straight.next()));
    }
    expect(straight.state().epoch).toBeGreaterThanOrEqual(2); // 40*5 windows over ~69 per epoch
    const resumed = new BatchLoader(tokens, { ...options, state: saved });
    for (let step = 17; step < 40; step++) expect(rowsOf(resumed.next())).toEqual(expected[step]);
    expect(resumed.state()).toEqual(straight.state());
  });

  it("moves the cut points between epochs", () => {
    const loader = new BatchLoader(ramp(2000), { batchSize: 1, seqLen: 50, seed: 5 });
    const shifts = new Set<number>();
    for (let epoch = 0; epoch < 6; epoch++) {
      const n = loader.windowsThisEpoch;
      const starts = Array.from({ length: n }, () => loader.next().tokens[0]);
      shifts.add(Math.min(...starts) % 50);
    }
    expect(shifts.size).toBeGreaterThan(1);
  });

  it("rejects bad options, short shards and foreign states", () => {
    const tokens = ramp(100);
    expect(() => new BatchLoader(ramp(10), { batchSize: 1, seqLen: 10, seed: 0 })).toThrow(CspError);
    expect(new BatchLoader(ramp(11), { batchSize: 1, seqLen: 10, seed: 0 }).next().tokens[10]).toBe(10);
    expect(() => new BatchLoader(tokens, { batchSize: 0, seqLen: 4, seed: 0 })).toThrow(CspError);
    expect(() => new BatchLoader(tokens, { batchSize: 1, seqLen: 4, seed: -1 })).toThrow(CspError);
    const state = new BatchLoader(tokens, { batchSize: 1, seqLen: 4, seed: 1 }).state();
    expect(() => new BatchLoader(ramp(101), { batchSize: 1, seqLen: 4, seed: 1, state })).toThrow(
      /does not match/,
    );
    expect(() => new BatchLoader(tokens, { batchSize: 1, seqLen: 5, seed: 1, state })).toThrow(CspError);
  });
});
