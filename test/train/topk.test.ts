import { describe, expect, test } from "vitest";
import type { MinAlive } from "../../src/backend/backend.js";
import { forcedCount } from "../../src/backend/ts/train_topk.js";
import { projectTopK } from "../../src/train/topk.js";
import { Rng } from "../../src/random/rng.js";

/**
 * Oracle written independently of the implementation: sort everything by (|w| desc, index asc),
 * force each neuron's first `perNeuron` entries in that order, then fill up to k in the same order.
 */
function bruteForceKeep(w: Float32Array, rows: number, cols: number, k: number, m?: MinAlive): Set<number> {
  const order = Array.from(w.keys()).sort((a, b) => Math.abs(w[b]) - Math.abs(w[a]) || a - b);
  const keep = new Set<number>();
  if (m) {
    const taken = new Map<number, number>();
    for (const i of order) {
      const neuron = m.axis === "rows" ? Math.floor(i / cols) : i % cols;
      const n = taken.get(neuron) ?? 0;
      if (n < m.perNeuron) {
        taken.set(neuron, n + 1);
        keep.add(i);
      }
    }
  }
  for (const i of order) {
    if (keep.size >= k) break;
    keep.add(i);
  }
  return keep;
}

function randomMatrix(rng: Rng, n: number, opts: { ties?: boolean; zeros?: number } = {}): Float32Array {
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    // Coarse values make many exact ties (and opposite signs of equal magnitude).
    w[i] = opts.ties ? (rng.int(7) - 3) * 0.5 : rng.normal();
    if (opts.zeros && rng.uniform() < opts.zeros) w[i] = 0;
  }
  return w;
}

describe("projectTopK", () => {
  const cases: { name: string; rows: number; cols: number; m?: MinAlive; ties?: boolean; zeros?: number }[] =
    [
      { name: "plain", rows: 17, cols: 23 },
      { name: "plain with ties", rows: 12, cols: 30, ties: true },
      { name: "min-alive rows", rows: 24, cols: 16, m: { axis: "rows", perNeuron: 4 } },
      { name: "min-alive cols", rows: 16, cols: 40, m: { axis: "cols", perNeuron: 4 } },
      { name: "min-alive cols with ties", rows: 20, cols: 10, m: { axis: "cols", perNeuron: 3 }, ties: true },
      {
        name: "min-alive rows with zeros",
        rows: 10,
        cols: 20,
        m: { axis: "rows", perNeuron: 4 },
        zeros: 0.5,
      },
    ];
  for (const c of cases) {
    test(`${c.name}: keeps exactly the oracle's k entries`, () => {
      const rng = new Rng(c.rows * 1000 + c.cols);
      const n = c.rows * c.cols;
      const forced = c.m ? forcedCount(c.rows, c.cols, c.m) : 0;
      for (const k of [forced, forced + 1, Math.floor((n + forced) / 2), n - 1]) {
        const w = randomMatrix(rng, n, c);
        const before = w.slice();
        const expected = bruteForceKeep(before, c.rows, c.cols, k, c.m);
        expect(projectTopK({ values: w, rows: c.rows, cols: c.cols, k, minAlive: c.m })).toBe(k);
        for (let i = 0; i < n; i++) {
          expect(w[i]).toBe(expected.has(i) ? before[i] : 0);
        }
      }
    });
  }

  test("every neuron keeps its min-alive entries even when they are globally small", () => {
    // Row 0 is tiny, the others large: without min-alive row 0 would vanish.
    const rows = 6;
    const cols = 8;
    const w = Float32Array.from({ length: rows * cols }, (_, i) => (i < cols ? 0.001 * (i + 1) : 1 + i));
    projectTopK({ values: w, rows, cols, k: 4 * rows, minAlive: { axis: "rows", perNeuron: 4 } });
    for (let r = 0; r < rows; r++) {
      let alive = 0;
      for (let c = 0; c < cols; c++) if (w[r * cols + c] !== 0) alive++;
      expect(alive).toBe(4);
    }
    // row 0 keeps its four largest: columns 4..7
    expect(Array.from(w.subarray(0, cols)).map((x) => x !== 0)).toEqual([
      false,
      false,
      false,
      false,
      true,
      true,
      true,
      true,
    ]);
  });

  test("k ≥ n keeps everything; k = 0 zeroes everything", () => {
    const w = Float32Array.from([1, -2, 3]);
    expect(projectTopK({ values: w, rows: 1, cols: 3, k: 5 })).toBe(3);
    expect(Array.from(w)).toEqual([1, -2, 3]);
    projectTopK({ values: w, rows: 1, cols: 3, k: 0 });
    expect(Array.from(w)).toEqual([0, 0, 0]);
  });

  test("ties at the threshold are resolved to exactly k, lowest index first", () => {
    const w = Float32Array.from([1, -1, 1, 2, -1, 1]);
    projectTopK({ values: w, rows: 2, cols: 3, k: 3 });
    expect(Array.from(w)).toEqual([1, -1, 0, 2, 0, 0]);
  });

  test("refuses a budget smaller than what min-alive forces", () => {
    const w = new Float32Array(16).fill(1);
    expect(() =>
      projectTopK({ values: w, rows: 4, cols: 4, k: 7, minAlive: { axis: "rows", perNeuron: 2 } }),
    ).toThrow(/min-alive/);
  });

  test("keeps exactly k of a bench-sized matrix (2048 × 512); speed is measured in bench/, not here", () => {
    const rng = new Rng(9);
    const w = randomMatrix(rng, 2048 * 512);
    projectTopK({
      values: w,
      rows: 2048,
      cols: 512,
      k: (2048 * 512) / 64,
      minAlive: { axis: "rows", perNeuron: 4 },
    });
    let nnz = 0;
    for (const x of w) if (x !== 0) nnz++;
    expect(nnz).toBe((2048 * 512) / 64);
  });
});
