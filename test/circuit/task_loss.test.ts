import { describe, expect, it } from "vitest";
import type { SequenceGroup } from "../../src/circuit/task_data.js";
import { contrastLoss } from "../../src/circuit/task_loss.js";
import { randomArray, rng } from "../helpers/random.js";

/** A group of single-position rows, so `logits` is [n, V] and every row predicts at its only position. */
function lastPositionGroup(correct: number[], alt: number[]): SequenceGroup {
  const n = correct.length;
  return {
    t: 1,
    n,
    ids: new Int32Array(n),
    correct: Int32Array.from(correct),
    alt: Int32Array.from(alt),
    members: correct.map((_, i) => i),
  };
}

// Three sequences, V = 4. Values computed by hand / in Python:
// row 0: margin ℓ[2] − ℓ[1] = −1.5 → softplus = 0.2014132779827524
// row 1: margin ℓ[3] − ℓ[2] = −2   → 0.1269280110429725
// row 2: a tie → log 2
const logits = Float64Array.from([1, 2, 0.5, -1, 0, 0, 3, 1, 0.3, 0.3, 0, 0]);
const group = lastPositionGroup([1, 2, 0], [2, 3, 1]);

describe("contrastLoss (the two-sided task loss, spec E.4)", () => {
  it("matches a hand computation, losses and gradient", () => {
    const dLogits = new Float64Array(logits.length);
    const { losses, candidates } = contrastLoss(logits, group, 4, { dLogits });
    expect([...losses]).toEqual([
      expect.closeTo(0.2014132779827524, 14),
      expect.closeTo(0.1269280110429725, 14),
      expect.closeTo(Math.LN2, 14),
    ]);
    expect([...candidates.correct]).toEqual([2, 3, 0.3]);
    expect([...candidates.alt]).toEqual([0.5, 1, 0.3]);
    // d Σ losses / d ℓ: −σ(ℓu − ℓt) at the correct token, +σ(ℓu − ℓt) at the alternative, zero elsewhere.
    const s0 = 0.18242552380635635; // σ(−1.5)
    const s1 = 0.11920292202211755; // σ(−2)
    const expected = [0, -s0, s0, 0, 0, 0, -s1, s1, -0.5, 0.5, 0, 0];
    expected.forEach((x, i) => expect(dLogits[i]).toBeCloseTo(x, 14));
  });

  it("is the two-candidate cross-entropy −log softmax(ℓ[{t,u}])[t]", () => {
    const { losses } = contrastLoss(logits, group, 4);
    for (let i = 0; i < 3; i++) {
      const lt = logits[i * 4 + group.correct[i]];
      const lu = logits[i * 4 + group.alt[i]];
      expect(losses[i]).toBeCloseTo(-Math.log(Math.exp(lt) / (Math.exp(lt) + Math.exp(lu))), 13);
    }
  });

  it("stays finite for huge margins", () => {
    const dLogits = new Float64Array(4);
    const { losses } = contrastLoss(
      Float64Array.from([1000, -1000, -1000, 1000]),
      lastPositionGroup([0, 0], [1, 1]),
      2,
      {
        dLogits,
      },
    );
    expect([...losses]).toEqual([0, 2000]);
    for (const g of dLogits) expect(Number.isFinite(g)).toBe(true);
  });

  it("summed over A and B, is the reference's pair loss", () => {
    const lastA = [0.2, -1, 0.7];
    const lastB = [1.5, 0.1, -0.3];
    // The reference's pair loss by hand: A: t=0, u=2: softplus(0.7 − 0.2); B: t=2, u=0: softplus(1.5 + 0.3).
    const reference = Math.log1p(Math.exp(0.5)) + Math.log1p(Math.exp(1.8));
    const { losses } = contrastLoss(
      Float64Array.from([...lastA, ...lastB]),
      lastPositionGroup([0, 2], [2, 0]),
      3,
    );
    expect(losses[0] + losses[1]).toBeCloseTo(reference, 14);
  });

  it("reads the last position of each row, and its gradient there matches finite differences", () => {
    const n = 5;
    const t = 3;
    const v = 7;
    const r = rng(3);
    const correct = Array.from({ length: n }, () => Math.floor(r() * v));
    const alt = correct.map((c) => (c + 1 + Math.floor(r() * (v - 1))) % v);
    const g: SequenceGroup = { ...lastPositionGroup(correct, alt), t, ids: new Int32Array(n * t) };
    const x = randomArray(n * t * v, 11, 2);
    const total = () => contrastLoss(x, g, v).losses.reduce((a, b) => a + b, 0);
    const dLogits = new Float64Array(x.length);
    contrastLoss(x, g, v, { dLogits, gradScale: 0.5 });
    const h = 1e-6;
    for (let i = 0; i < x.length; i++) {
      const keep = x[i];
      x[i] = keep + h;
      const up = total();
      x[i] = keep - h;
      const down = total();
      x[i] = keep;
      const position = Math.floor(i / v) % t;
      if (position !== t - 1) expect(dLogits[i]).toBe(0);
      expect(dLogits[i]).toBeCloseTo((0.5 * (up - down)) / (2 * h), 8);
    }
  });
});
