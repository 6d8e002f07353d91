import { describe, expect, it } from "vitest";
import { forward } from "../../src/model/gpt.js";
import { channelReplace, type Intervention } from "../../src/model/hooks.js";
import { bisectK, promote, rankNodes, topKMask } from "../../src/prune/bisect.js";
import { meanMaskedLoss } from "../../src/prune/effects.js";
import { groupByLength } from "../../src/circuit/task_data.js";
import { flatNode, plantedSetup } from "./planted_setup.js";

describe("bisection over the number of kept nodes", () => {
  it("finds the smallest k whose loss is at most the target on a decreasing curve", () => {
    const seen: number[] = [];
    const res = bisectK(
      (k) => {
        seen.push(k);
        return 1 / (1 + k);
      },
      10_000,
      0.15,
    );
    // 1/(1+k) ≤ 0.15 ⇔ k ≥ 17/3, so k = 6.
    expect(res).toMatchObject({ k: 6, reached: true });
    expect(res.loss).toBeCloseTo(1 / 7, 12);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeLessThanOrEqual(16);
  });

  it("tries the hint first and still ends on the boundary", () => {
    const res = bisectK((k) => (k >= 1234 ? 0.1 : 0.5), 5000, 0.15, 1300);
    expect(res.steps.map((s) => s.k).slice(0, 3)).toEqual([5000, 0, 1300]);
    expect(res.k).toBe(1234);
  });

  it("reports an unreachable target with every node kept, and an empty circuit when nothing is needed", () => {
    expect(bisectK(() => 0.4, 100, 0.15)).toMatchObject({ k: 100, reached: false, loss: 0.4 });
    expect(bisectK(() => 0.01, 100, 0.15)).toMatchObject({ k: 0, reached: true });
  });

  it("searches below the trained mask's size when the full model misses the target but a circuit does not", () => {
    // Ablating the nodes ranked past 300 helps: the full model (0.6) misses 0.15, circuits of 40..300 reach it.
    const loss = (k: number) => (k > 300 ? 0.6 : k >= 40 ? 0.1 : 0.5);
    const res = bisectK(loss, 1000, 0.15, 250);
    expect(res).toMatchObject({ k: 40, reached: true, loss: 0.1 });
    expect(res.steps.map((s) => s.k).slice(0, 3)).toEqual([1000, 250, 0]);
    // Without a hint, or with one that misses too, the target is not reached.
    expect(bisectK(loss, 1000, 0.15)).toMatchObject({ k: 1000, reached: false });
    expect(bisectK(loss, 1000, 0.15, 500)).toMatchObject({ k: 1000, reached: false, loss: 0.6 });
  });

  it("ranks by score with ties to the lower node number, and keeps the top k", () => {
    const order = rankNodes([0.5, 0.9, 0.5, -1, NaN, 0.9]);
    expect([...order]).toEqual([1, 5, 0, 2, 3, 4]);
    expect([...topKMask(order, 3)]).toEqual([1, 1, 0, 0, 0, 1]);
  });

  it("promoting the node the bisection stopped at shrinks a circuit whose needed node ranked low", () => {
    expect([...promote(Int32Array.of(4, 5, 6, 7, 8), 3)]).toEqual([7, 4, 5, 6, 8]);
    // The loss meets the target only when nodes 3 and 7 are both kept; node 7 is ranked 8th of 10.
    const lossOf = (order: Int32Array) => (k: number) => {
      const kept = new Set(order.subarray(0, k));
      return kept.has(3) && kept.has(7) ? 0.1 : 1;
    };
    const order = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const first = bisectK(lossOf(order), 10, 0.15);
    expect(first.k).toBe(8);
    const next = promote(order, first.k - 1);
    const known = new Map([[8, first.loss]]);
    const again = bisectK(lossOf(next), 8, 0.15, undefined, known);
    expect(again.k).toBe(5); // [7, 0, 1, 2, 3]
    expect(again.steps.some((s) => s.k === 8)).toBe(false);
  });

  it("on the planted model: loss(k) ≤ target < loss(k − 1), checked with the engine's own channel replacement", () => {
    const { ctx, layout, means, train, model } = plantedSetup();
    // A ranking that puts the planted path first, then everything else in node order.
    const path = [
      "final_resid:5",
      "0.mlp.resid_delta:5",
      "0.mlp.post_act:0",
      "0.mlp.post_act:1",
      "0.mlp.act_in:4",
      "0.attn.resid_delta:4",
      "0.attn.v:0",
      "0.attn.act_in:1",
      "0.attn.k:0",
      "0.attn.act_in:0",
    ];
    const scores = new Float64Array(layout.total);
    path.forEach((label, i) => (scores[flatNode(layout, label)] = 100 - i));
    const order = rankNodes(scores);
    const groups = groupByLength(train);
    const target = 0.15;
    const res = bisectK(
      (k) => meanMaskedLoss(ctx, groups, train.length, topKMask(order, k), 0),
      layout.total,
      target,
    );
    expect(res.reached).toBe(true);
    expect(res.k).toBeGreaterThan(1);
    expect(res.k).toBeLessThanOrEqual(path.length);
    // Independent check: ablate with channelReplace (engine code) to the same means.
    const engineLoss = (k: number) => {
      const keep = topKMask(order, k);
      const interventions = new Map<string, Intervention>();
      for (const site of layout.sites) {
        const channels: number[] = [];
        for (let c = 0; c < site.width; c++) if (keep[site.offset + c] === 0) channels.push(c);
        interventions.set(
          site.name,
          channelReplace(
            channels,
            channels.map((c) => means.get(site.name)![c]),
          ),
        );
      }
      let sum = 0;
      for (const s of train) {
        const { logits } = forward(model, s.ids, 1, s.ids.length, { interventions });
        const row = (s.ids.length - 1) * model.dims.vocab;
        sum += Math.log1p(Math.exp(logits.data[row + s.alt] - logits.data[row + s.correct]));
      }
      return sum / train.length;
    };
    expect(engineLoss(res.k)).toBeLessThanOrEqual(target);
    expect(engineLoss(res.k)).toBeCloseTo(res.loss, 5);
    expect(engineLoss(res.k - 1)).toBeGreaterThan(target);
  });
});
