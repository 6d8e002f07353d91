import type { FloatArray } from "../../tensor/tensor.js";
import { param } from "../model.js";
import type { BackwardPass } from "./backward_pass.js";
import type { ForwardPass } from "./forward_pass.js";
import { normBackward, normForward, type NormCache } from "./norm.js";

// Concatenated positions (d_pos_emb set): every sublayer input is [normed residual | normed wpe[pos]],
// Din = d_model + d_pos wide, each sublayer with its own positional norm (ln_p1, ln_p2).

/** The position of each row of a [B, T] batch: 0..T-1, B times. */
export function positionIds(b: number, t: number): Int32Array {
  const ids = new Int32Array(b * t);
  for (let r = 0; r < ids.length; r++) ids[r] = r % t;
  return ids;
}

/** Writes norm(wpe[0:T]) [T, d_pos] into the positional columns of every row of `act` [B·T, Din]. */
export function concatPositionsForward(pass: ForwardPass, act: FloatArray, normPrefix: string): NormCache {
  const { dims } = pass.model;
  const { t, n } = pass;
  const wpe = param(pass.model, "transformer.wpe.weight");
  const pos = wpe.subarray(0, t * dims.dPos) as FloatArray;
  const normed = pass.alloc(t * dims.dPos);
  const cache = normForward(pass, {
    x: pos,
    rows: t,
    width: dims.dPos,
    prefix: normPrefix,
    out: normed,
    outStride: dims.dPos,
  });
  for (let r = 0; r < n; r++) {
    const src = (r % t) * dims.dPos;
    for (let j = 0; j < dims.dPos; j++) act[r * dims.dModelIn + dims.dModel + j] = normed[src + j];
  }
  return cache;
}

/**
 * d of the positional columns of dAct [B·T, Din], summed over the batch, through that sublayer's
 * positional norm into the pass's dPosTable.
 */
export function concatPositionsBackward(
  pass: BackwardPass,
  c: NormCache,
  normPrefix: string,
  dAct: FloatArray,
): void {
  const { dims } = pass.model;
  const { t, n } = pass;
  const dNormed = pass.alloc(t * dims.dPos);
  for (let r = 0; r < n; r++) {
    const dst = (r % t) * dims.dPos;
    for (let j = 0; j < dims.dPos; j++) dNormed[dst + j] += dAct[r * dims.dModelIn + dims.dModel + j];
  }
  normBackward(pass, c, {
    rows: t,
    width: dims.dPos,
    prefix: normPrefix,
    dy: dNormed,
    dyStride: dims.dPos,
    dx: pass.dPosTable,
  });
}
