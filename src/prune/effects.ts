import { maskedLosses, type PruneContext } from "../circuit/masked_run.js";
import type { NodeLayout } from "../circuit/nodes.js";
import type { SequenceGroup } from "../circuit/task_data.js";
import { mean } from "../circuit/task_loss.js";

/** Mean loss over `groups` (which index `size` sequences) with node values `mask`. */
export function meanMaskedLoss(
  ctx: PruneContext,
  groups: readonly SequenceGroup[],
  size: number,
  mask: Float32Array,
  draw: number,
): number {
  const { losses } = maskedLosses(ctx, groups, size, mask, { draw });
  return mean(losses.filter((l) => !Number.isNaN(l)));
}

/**
 * For each listed circuit node, the loss when that node is ablated as well (the rest of the circuit
 * kept). `onNode(done)` reports progress.
 */
export function nodeEffects(
  ctx: PruneContext,
  groups: readonly SequenceGroup[],
  size: number,
  keep: Float32Array,
  nodes: readonly number[],
  draw: number,
  onNode?: (done: number) => void,
): Float64Array {
  const out = new Float64Array(nodes.length);
  const mask = keep.slice();
  nodes.forEach((node, i) => {
    mask[node] = 0;
    out[i] = meanMaskedLoss(ctx, groups, size, mask, draw);
    mask[node] = keep[node];
    onNode?.(i + 1);
  });
  return out;
}

/** Sublayer keys of layer effects: "{i}.attn" and "{i}.mlp". */
export function sublayerKeys(layout: NodeLayout): string[] {
  const keys: string[] = [];
  for (const s of layout.sites) if (s.sublayer !== "final") keys.push(`${s.layer}.${s.sublayer}`);
  return [...new Set(keys)];
}

/**
 * For each sublayer holding circuit nodes, the loss when all of that sublayer's circuit nodes are
 * ablated at once.
 */
export function layerEffects(
  ctx: PruneContext,
  groups: readonly SequenceGroup[],
  size: number,
  keep: Float32Array,
  draw: number,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const key of sublayerKeys(ctx.layout)) {
    const mask = keep.slice();
    let touched = false;
    for (const site of ctx.layout.sites) {
      if (`${site.layer}.${site.sublayer}` !== key) continue;
      for (let c = 0; c < site.width; c++) {
        if (mask[site.offset + c] !== 0) touched = true;
        mask[site.offset + c] = 0;
      }
    }
    if (touched) out.set(key, meanMaskedLoss(ctx, groups, size, mask, draw));
  }
  return out;
}
