import { maskedLossGradient, type PruneContext } from "../circuit/masked_run.js";
import type { SequenceGroup } from "../circuit/task_data.js";

/**
 * The attribution-pruning baseline's node scores (spec E.3, Fig. 31): with every node kept, the
 * first-order estimate of ablating node i in one sequence is Σ_positions ∂L/∂x_i·(x_i − μ_i); a node's
 * score is the sum over sequences of its absolute value, so effects of either sign count and do not
 * cancel between sequences.
 */
export function attributionScores(
  ctx: PruneContext,
  groups: readonly SequenceGroup[],
  draw = 0,
): Float64Array {
  const scores = new Float64Array(ctx.layout.total);
  const allKept = new Float32Array(ctx.layout.total).fill(1);
  maskedLossGradient(ctx, groups, allKept, { dMask: scores, attribution: true }, draw);
  return scores;
}
