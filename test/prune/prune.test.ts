import { beforeAll, describe, expect, it } from "vitest";
import { buildCircuit, formatCircuitJson } from "../../src/prune/circuit_file.js";
import { evaluateCircuit } from "../../src/circuit/evaluate.js";
import { DEFAULT_MASK_TRAIN } from "../../src/prune/config.js";
import { nodeLabel } from "../../src/circuit/nodes.js";
import { pruneTask, upperBound, type PruneOutcome, type PruneRunOptions } from "../../src/prune/prune.js";
import { PLANTED_ESSENTIAL_NODES } from "../../src/prune/synthetic.js";
import { shuffleLabels } from "../../src/circuit/task_data.js";
import { plantedSetup, type PlantedSetup } from "./planted_setup.js";

const OPTIONS: PruneRunOptions = {
  method: "learned",
  targetLoss: 0.15,
  mask: { ...DEFAULT_MASK_TRAIN, steps: 96, batch_pairs: 32, seed: 1 },
  search: 0,
  evalPairs: 48,
  effectsPairs: 8,
  maxEffectNodes: 64,
  repairRounds: 3,
};

function circuitLabels(s: PlantedSetup, o: PruneOutcome): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.layout.total; i++) if (o.keep[i] === 1) out.push(nodeLabel(s.layout, i));
  return out;
}

describe("pruning the planted-circuit model", () => {
  let s: PlantedSetup;
  let outcome: PruneOutcome;
  beforeAll(() => {
    s = plantedSetup();
    outcome = pruneTask(s.ctx, s.train, OPTIONS);
  });

  it("finds a circuit under the target with a small fraction of the nodes, holding the planted path", () => {
    expect(outcome.reached).toBe(true);
    expect(outcome.lossFull).toBeLessThan(0.05);
    expect(outcome.lossCircuit).toBeLessThanOrEqual(0.15);
    expect(outcome.lossEmpty).toBeGreaterThan(0.5);
    expect(outcome.k).toBeLessThanOrEqual(0.12 * s.layout.total);
    const labels = circuitLabels(s, outcome);
    for (const node of PLANTED_ESSENTIAL_NODES) expect(labels).toContain(node);
    // Layer 1 and the noise channels play no part in the mechanism.
    expect(labels.filter((l) => l.startsWith("1."))).toEqual([]);
    expect(outcome.lossCalibrated).toBeLessThanOrEqual(outcome.lossCircuit);
    expect(outcome.trials[0].promoted.every((n) => outcome.keep[n] === 1)).toBe(true);
  });

  it("the test split confirms sufficiency and necessity", () => {
    const ev = evaluateCircuit(s.ctx, s.test, outcome.keep, outcome.calibration, 0);
    expect(ev.loss_circuit).toBeLessThanOrEqual(0.2);
    expect(ev.accuracy_circuit).toBe(1);
    expect(ev.loss_circuit_ablated).toBeGreaterThan(0.6);
    expect(ev.loss_circuit_ablated).toBeGreaterThan(5 * ev.loss_circuit);
    expect(ev.accuracy_circuit_ablated).toBeLessThan(0.75);
  });

  it("measures node and layer effects: ablating a planted node breaks the circuit, layer 0 matters", () => {
    expect(outcome.nodeEffects).not.toBeNull();
    const byLabel = new Map([...outcome.nodeEffects!].map(([n, l]) => [nodeLabel(s.layout, n), l]));
    expect(byLabel.get("0.attn.v:0")!).toBeGreaterThan(0.5);
    expect(byLabel.get("final_resid:5")!).toBeGreaterThan(0.5);
    expect(outcome.layerEffects.get("0.attn")!).toBeGreaterThan(0.5);
    expect(outcome.layerEffects.get("0.mlp")!).toBeGreaterThan(0.5);
    expect(outcome.layerEffects.has("1.attn")).toBe(false);
  });

  it("gives a bit-identical circuit for the same seed", () => {
    const again = pruneTask(s.ctx, s.train, OPTIONS);
    const file = (o: PruneOutcome) =>
      formatCircuitJson(
        buildCircuit(
          {
            modelPath: "m",
            modelName: "m",
            model: s.model,
            taskPath: "t",
            taskName: "t",
            taskHash: "h",
            method: "learned",
            control: null,
            ablation: "mean",
            targetLoss: 0.15,
            pruneConfig: {},
          },
          s.layout,
          o,
        ),
      );
    expect(file(again)).toBe(file(outcome));
    expect(again.scores).toEqual(outcome.scores);
    const other = pruneTask(s.ctx, s.train, {
      ...OPTIONS,
      mask: { ...OPTIONS.mask, seed: 2 },
      effectsPairs: 1,
    });
    expect(other.scores).not.toEqual(outcome.scores);
  });
});

describe("baselines and controls on the planted model", () => {
  it("attribution pruning also reaches the target, with no fewer nodes than the learned masks need here", () => {
    const s = plantedSetup();
    const learned = pruneTask(s.ctx, s.train, { ...OPTIONS, maxEffectNodes: 0 });
    const attribution = pruneTask(s.ctx, s.train, { ...OPTIONS, method: "attribution", maxEffectNodes: 0 });
    expect(attribution.reached).toBe(true);
    expect(attribution.trials[0].trainedKept).toBeNull();
    expect(attribution.k).toBeGreaterThanOrEqual(learned.k);
  });

  it("shuffled labels make the task unlearnable: the target is not reached", () => {
    const s = plantedSetup();
    const shuffled = shuffleLabels(s.train, 9);
    const res = pruneTask(s.ctx, shuffled, {
      ...OPTIONS,
      mask: { ...OPTIONS.mask, steps: 32 },
      maxEffectNodes: 0,
    });
    expect(res.lossFull).toBeGreaterThan(0.5);
    expect(res.reached).toBe(false);
    expect(res.k).toBe(s.layout.total);
  });

  it("a random search keeps its best trial and logs every trial", () => {
    const s = plantedSetup();
    const res = pruneTask(s.ctx, s.train, {
      ...OPTIONS,
      search: 3,
      mask: { ...OPTIONS.mask, steps: 48 },
      maxEffectNodes: 0,
    });
    expect(res.trials).toHaveLength(3);
    expect(res.trials[0].hyper.lr).toBe(DEFAULT_MASK_TRAIN.lr);
    expect(res.trials[1].hyper.lr).not.toBe(DEFAULT_MASK_TRAIN.lr);
    const reached = res.trials.filter((t) => t.reached);
    expect(res.k).toBe(Math.min(...reached.map((t) => t.k)));
    expect(res.trials[res.bestTrial].k).toBe(res.k);
  });
});

describe("rankings shared across target losses", () => {
  it("trains the masks once and gives each target the circuit a fresh run gives", () => {
    const s = plantedSetup();
    const labels: string[] = [];
    const progress = (label: string) => {
      labels.push(label);
      return { update: () => {}, stop: () => {} };
    };
    const rankings = new Map();
    const shared = [0.3, 0.05].map((targetLoss) =>
      pruneTask(s.ctx, s.train, { ...OPTIONS, targetLoss, rankings, progress }),
    );
    expect(labels.filter((l) => l.startsWith("train masks"))).toHaveLength(1);
    expect(rankings.size).toBe(1);
    for (const [i, targetLoss] of [0.3, 0.05].entries()) {
      const fresh = pruneTask(s.ctx, s.train, { ...OPTIONS, targetLoss });
      expect(shared[i].k).toBe(fresh.k);
      expect(Array.from(shared[i].keep)).toEqual(Array.from(fresh.keep));
      expect(shared[i].lossCircuit).toBe(fresh.lossCircuit);
    }
    // The looser target needs no more nodes than the tighter one.
    expect(shared[0].k).toBeLessThanOrEqual(shared[1].k);
  });
});

describe("the held-out margin (confidence)", () => {
  it("upperBound: the mean over the pairs' sequences plus z standard errors of the pair means", () => {
    // Pairs 0 and 2 of three; pair means 0.2 and 0.6: sd over pairs √0.08, SE √0.08/√2 = 0.2.
    const losses = [0.1, 0.3, 9, 9, 0.5, 0.7];
    const { mean, bound } = upperBound(losses, [0, 2], 1.5);
    expect(mean).toBeCloseTo(0.4, 12);
    expect(bound).toBeCloseTo(0.4 + 1.5 * 0.2, 12);
    // An unscorable sequence (NaN) is left out; its pair's mean is its other sequence.
    const withNaN = upperBound([0.1, NaN, 0.5, 0.7], [0, 1], 1);
    expect(withNaN.mean).toBeCloseTo((0.1 + 0.5 + 0.7) / 3, 12);
    expect(withNaN.bound).toBeCloseTo(
      withNaN.mean + Math.sqrt(((0.1 - 0.35) ** 2 + (0.6 - 0.35) ** 2) / 2),
      12,
    );
  });

  it("keeps at least the nodes of the plain rule, and the circuit's mean loss sits further below the target", () => {
    const s = plantedSetup();
    const rankings = new Map();
    const plain = pruneTask(s.ctx, s.train, { ...OPTIONS, targetLoss: 0.05, rankings });
    const margin = pruneTask(s.ctx, s.train, { ...OPTIONS, targetLoss: 0.05, rankings, confidence: 2 });
    expect(margin.reached).toBe(true);
    expect(margin.k).toBeGreaterThanOrEqual(plain.k);
    expect(margin.lossCircuit).toBeLessThanOrEqual(plain.lossCircuit);
    // The bisection's accepted value is the bound, which is above the circuit's mean loss.
    const accepted = margin.trials[0].loss;
    expect(accepted).toBeLessThanOrEqual(0.05);
    expect(accepted).toBeGreaterThan(margin.lossCircuit);
    // The full and empty losses are means, as without a margin.
    expect(margin.lossFull).toBe(plain.lossFull);
    expect(margin.lossEmpty).toBe(plain.lossEmpty);
  });
});
