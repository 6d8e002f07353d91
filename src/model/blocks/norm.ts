import type { FloatArray } from "../../tensor/tensor.js";
import { layerNormBackward, layerNormForward } from "../layers/layernorm.js";
import { param } from "../model.js";
import type { BackwardPass } from "./backward_pass.js";
import type { ForwardPass } from "./forward_pass.js";

/** What the backward of a normalisation needs: its input and per-row statistics. */
export interface NormCache {
  x: FloatArray;
  rstd: FloatArray;
  /** LayerNorm only. */
  mean?: FloatArray;
}

export interface NormForwardArgs {
  /** [rows, width] */
  x: FloatArray;
  rows: number;
  width: number;
  /** Parameter prefix: `${prefix}.weight` (and `.bias` for LayerNorm). */
  prefix: string;
  /** Rows of outStride values; the normalised row fills its first `width`. */
  out: FloatArray;
  outStride: number;
}

/** RMSNorm of rows, or LayerNorm when the config's rms_norm is false. */
export function normForward(pass: ForwardPass, a: NormForwardArgs): NormCache {
  const { model, be } = pass;
  const { x, rows, width, out, outStride } = a;
  const w = param(model, `${a.prefix}.weight`);
  const rstd = pass.alloc(rows);
  if (model.config.rms_norm) {
    be.rmsNormForward({ x, w, n: rows, d: width, out, rstd, outStride, outOffset: 0 });
    return { x, rstd };
  }
  const mean = pass.alloc(rows);
  const bias = model.params.get(`${a.prefix}.bias`)?.data;
  layerNormForward({ x, w, b: bias, n: rows, d: width, out, mean, rstd, outStride, outOffset: 0 });
  return { x, rstd, mean };
}

export interface NormBackwardArgs {
  rows: number;
  width: number;
  prefix: string;
  /** d loss / d output: rows of dyStride values, the first `width` of each. */
  dy: FloatArray;
  dyStride: number;
  /** d loss / d input [rows, width], accumulated into. */
  dx: FloatArray;
}

/** Backward of normForward; the weight (and bias) gradients accumulate into the pass's gradients. */
export function normBackward(pass: BackwardPass, c: NormCache, a: NormBackwardArgs): void {
  const { model, be } = pass;
  const { rows, width, dy, dyStride, dx } = a;
  const w = param(model, `${a.prefix}.weight`);
  const dw = pass.grad(`${a.prefix}.weight`);
  if (model.config.rms_norm) {
    be.rmsNormBackward({ dy, x: c.x, w, rstd: c.rstd, n: rows, d: width, dx, dw, dyStride, dyOffset: 0 });
  } else {
    layerNormBackward({
      dy,
      x: c.x,
      w,
      mean: c.mean!,
      rstd: c.rstd,
      n: rows,
      d: width,
      dx,
      dw,
      db: pass.grad(`${a.prefix}.bias`),
      dyStride,
      dyOffset: 0,
    });
  }
}
