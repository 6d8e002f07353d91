import type { FloatArray } from "../../tensor/tensor.js";
import { embeddingForward, embeddingRowsFromCsr } from "../layers/embedding.js";
import { param } from "../model.js";
import type { BackwardPass } from "./backward_pass.js";
import type { ForwardPass } from "./forward_pass.js";
import { positionIds } from "./positions.js";

/**
 * x = wte[ids] (+ wpe[pos] unless positions are concatenated per sublayer instead): the residual
 * stream [B·T, d_model] the first layer reads.
 */
export function embedForward(pass: ForwardPass, ids: Int32Array): FloatArray {
  const { model, be, b, t, n } = pass;
  const { dims } = model;
  const wpe = param(model, "transformer.wpe.weight");
  const x = pass.alloc(n * dims.dModel);
  const wte = model.params.get("transformer.wte.weight")!;
  if (wte.heldCsr) embeddingRowsFromCsr(wte.heldCsr, ids, x);
  else embeddingForward(wte.data, dims.dModel, ids, x);
  if (!dims.catPosEmb) be.addGatheredRows(wpe, positionIds(b, t), dims.dModel, x);
  return x;
}

/**
 * dwte[ids] += dx and dwpe[pos] += dx for dx [B·T, d_model], the gradient of the embedded residual;
 * with concatenated positions dwpe[0:T] += the positional gradient the sublayers gathered instead.
 */
export function embedBackward(pass: BackwardPass, dx: FloatArray): void {
  const { model, be, b, t, ids } = pass;
  const { dims } = model;
  const dWte = pass.grad("transformer.wte.weight");
  if (dWte) be.scatterAddRows(dx, ids, dims.dModel, dWte);
  const dWpe = pass.grad("transformer.wpe.weight");
  if (dWpe) {
    if (dims.catPosEmb) {
      for (let i = 0; i < pass.dPosTable.length; i++) dWpe[i] += pass.dPosTable[i];
    } else {
      be.scatterAddRows(dx, positionIds(b, t), dims.dModel, dWpe);
    }
  }
}
