import type { CircuitView, ModelInfo } from "../api_types.js";

/** The sublayer keys of a model in order (`0.attn`, `0.mlp`, ...); final_resid is not among them. */
export function sublayers(model: ModelInfo): string[] {
  const out: string[] = [];
  for (let i = 0; i < model.nLayer; i++) out.push(`${i}.attn`, `${i}.mlp`);
  return out;
}

export function sublayerNodeCount(c: CircuitView, sub: string): number {
  return Object.entries(c.nodes)
    .filter(([loc]) => loc.startsWith(`${sub}.`))
    .reduce((s, [, l]) => s + l.length, 0);
}

/** Loss increase when the sublayer's circuit nodes are ablated (layer effect minus the circuit's loss). */
export function sublayerDelta(c: CircuitView, sub: string): number | undefined {
  const v = c.layerEffects[sub];
  return v === undefined ? undefined : v - c.effectsBase;
}

/** The sublayer to open first: the one whose ablation hurts most, else the first with nodes. */
export function defaultSublayer(c: CircuitView, subs: string[]): string {
  let best = subs.find((s) => sublayerNodeCount(c, s) > 0) ?? subs[0];
  let bestDelta = -Infinity;
  for (const s of subs) {
    const d = sublayerDelta(c, s);
    if (d !== undefined && d > bestDelta && sublayerNodeCount(c, s) > 0) [best, bestDelta] = [s, d];
  }
  return best;
}
