import { describe, expect, it } from "vitest";
import {
  gatherLastLogits,
  makeTaskBatch,
  referencePairLoss,
  scatterLastLogitGrads,
  taskAccuracy,
  taskBatchLoss,
  taskLossFromLogits,
  type TaskPair,
} from "../../src/tasks/index.js";
import { randomArray, rng } from "../helpers/random.js";

// Three sequences, V = 4. Values computed by hand / in Python:
// row 0: margin ℓ[2] − ℓ[1] = −1.5 → softplus = 0.2014132779827524 (correct)
// row 1: margin ℓ[3] − ℓ[2] = −2   → 0.1269280110429725 (correct)
// row 2: a tie → log 2 (not counted as correct: the target must be strictly above)
const logits = Float64Array.from([1, 2, 0.5, -1, 0, 0, 3, 1, 0.3, 0.3, 0, 0]);
const targets = Int32Array.from([1, 2, 0]);
const alts = Int32Array.from([2, 3, 1]);

describe("taskLossFromLogits", () => {
  it("matches a hand computation", () => {
    const r = taskLossFromLogits(logits, targets, alts);
    expect([...r.perSequence]).toEqual([
      expect.closeTo(0.2014132779827524, 14),
      expect.closeTo(0.1269280110429725, 14),
      expect.closeTo(Math.LN2, 14),
    ]);
    expect(r.loss).toBeCloseTo(0.3404961565285567, 14);
    expect([...r.correct]).toEqual([1, 1, 0]);
    expect(r.accuracy).toBeCloseTo(2 / 3, 15);
    expect(taskAccuracy(logits, targets, alts)).toBeCloseTo(2 / 3, 15);
    // d loss / d ℓ: −σ(margin)/S at the target, +σ(margin)/S at the foil, zero elsewhere.
    const g = [...r.dLastLogits];
    const e0 = 0.060808507935452116;
    const e1 = 0.03973430734070585;
    const e2 = 0.16666666666666666;
    const expected = [0, -e0, e0, 0, 0, 0, -e1, e1, -e2, e2, 0, 0];
    expected.forEach((x, i) => expect(g[i]).toBeCloseTo(x, 14));
  });

  it("is the two-candidate cross-entropy −log softmax(ℓ[{t,u}])[t]", () => {
    const r = taskLossFromLogits(logits, targets, alts);
    for (let i = 0; i < 3; i++) {
      const lt = logits[i * 4 + targets[i]];
      const lu = logits[i * 4 + alts[i]];
      expect(r.perSequence[i]).toBeCloseTo(-Math.log(Math.exp(lt) / (Math.exp(lt) + Math.exp(lu))), 13);
    }
  });

  it("stays finite for huge margins", () => {
    const r = taskLossFromLogits(
      Float64Array.from([1000, -1000, -1000, 1000]),
      Int32Array.from([0, 0]),
      Int32Array.from([1, 1]),
    );
    expect(r.perSequence[0]).toBe(0);
    expect(r.perSequence[1]).toBe(2000);
    expect(Number.isFinite(r.dLastLogits[0])).toBe(true);
  });

  it("gradient matches finite differences", () => {
    const s = 5;
    const v = 7;
    const x = randomArray(s * v, 11, 2);
    const r = rng(3);
    const t = Int32Array.from({ length: s }, () => Math.floor(r() * v));
    const u = Int32Array.from(t, (ti) => (ti + 1 + Math.floor(r() * (v - 1))) % v);
    const grad = taskLossFromLogits(x, t, u).dLastLogits;
    const h = 1e-6;
    for (let i = 0; i < s * v; i++) {
      const keep = x[i];
      x[i] = keep + h;
      const up = taskLossFromLogits(x, t, u).loss;
      x[i] = keep - h;
      const down = taskLossFromLogits(x, t, u).loss;
      x[i] = keep;
      expect(grad[i]).toBeCloseTo((up - down) / (2 * h), 8);
    }
  });

  it("keeps the input's float type for the gradient", () => {
    const r = taskLossFromLogits(Float32Array.from(logits), targets, alts);
    expect(r.dLastLogits).toBeInstanceOf(Float32Array);
  });

  it("rejects bad shapes and tokens", () => {
    expect(() => taskLossFromLogits(logits, targets, Int32Array.from([1, 2]))).toThrow(/3 targets but 2/);
    expect(() => taskLossFromLogits(logits, Int32Array.from([1, 2, 9]), alts)).toThrow(/outside \[0, 4\)/);
    expect(() => taskLossFromLogits(logits, Int32Array.from([1, 3, 0]), alts)).toThrow(/both 3/);
  });

  it("per-sequence loss is the reference pair loss / 2", () => {
    const lastA = Float64Array.from([0.2, -1, 0.7]);
    const lastB = Float64Array.from([1.5, 0.1, -0.3]);
    // Reference pair loss by hand: A: t=0, u=2: softplus(0.7-0.2); B: t=2, u=0: softplus(1.5+0.3).
    const ref = Math.log1p(Math.exp(0.5)) + Math.log1p(Math.exp(1.8));
    expect(referencePairLoss(lastA, lastB, 0, 2)).toBeCloseTo(ref, 14);
    const both = Float64Array.from([...lastA, ...lastB]);
    const r = taskLossFromLogits(both, Int32Array.from([0, 2]), Int32Array.from([2, 0]));
    expect(r.loss).toBeCloseTo(ref / 2, 14);
  });
});

const pair = (id: string, a: number[], b: number[], aNext: number, bNext: number): TaskPair => ({
  id,
  split: "train",
  a: Int32Array.from(a),
  b: Int32Array.from(b),
  aNext,
  bNext,
});
const pairs = [pair("p", [5, 6, 7], [5, 8], 1, 2), pair("q", [9], [9, 9, 9, 4], 3, 4)];

describe("makeTaskBatch", () => {
  it("right padding: A rows then B rows, tokens from position 0", () => {
    const b = makeTaskBatch(pairs);
    expect([b.b, b.t, b.padding]).toEqual([4, 4, "right"]);
    expect([...b.ids]).toEqual([5, 6, 7, 0, 9, 0, 0, 0, 5, 8, 0, 0, 9, 9, 9, 4]);
    expect([...b.lastIndex]).toEqual([2, 0, 1, 3]);
    expect([...b.targets]).toEqual([1, 3, 2, 4]);
    expect([...b.alts]).toEqual([2, 4, 1, 3]);
  });

  it("left padding (the reference's pad_or_clip_to_len), custom pad id and clipping", () => {
    const b = makeTaskBatch(pairs, { padding: "left", padId: 99, length: 3 });
    expect([...b.ids]).toEqual([5, 6, 7, 99, 99, 9, 99, 5, 8, 9, 9, 4]);
    expect([...b.lastIndex]).toEqual([2, 2, 2, 2]);
  });

  it("gathers and scatters the prediction-point logits; taskBatchLoss = loss of the gathered rows", () => {
    const batch = makeTaskBatch(pairs);
    const v = 5;
    const full = randomArray(batch.b * batch.t * v, 21);
    const last = gatherLastLogits(full, batch);
    // Row 1 (pair q's A) predicts at column 0; row 2 (pair p's B) at column 1.
    expect([...last.subarray(v, 2 * v)]).toEqual([...full.subarray((1 * 4 + 0) * v, (1 * 4 + 0) * v + v)]);
    expect([...last.subarray(2 * v, 3 * v)]).toEqual([
      ...full.subarray((2 * 4 + 1) * v, (2 * 4 + 1) * v + v),
    ]);
    const r = taskBatchLoss(full, batch);
    const direct = taskLossFromLogits(last, Int32Array.from([1, 3, 2, 4]), Int32Array.from([2, 4, 1, 3]));
    expect(r.loss).toBe(direct.loss);
    expect(r.dLogits.length).toBe(full.length);
    let nonzero = 0;
    r.dLogits.forEach((g, i) => {
      if (g !== 0) {
        nonzero++;
        const row = Math.floor(i / (batch.t * v));
        const col = Math.floor(i / v) % batch.t;
        expect(col).toBe(batch.lastIndex[row]);
      }
    });
    expect(nonzero).toBe(2 * batch.b);
    expect([...scatterLastLogitGrads(last, batch).subarray(1 * 4 * v, 1 * 4 * v + v)]).toEqual([
      ...last.subarray(v, 2 * v),
    ]);
  });

  it("rejects an empty batch", () => {
    expect(() => makeTaskBatch([])).toThrow(/no pairs/);
  });
});
