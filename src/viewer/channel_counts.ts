import type { Model } from "../model/model.js";
import type { Tensor } from "../tensor/tensor.js";
import type { ChannelCounts } from "./api_types.js";

/**
 * Nonzero entries per column (`byColumn`) or per row of a 2-D weight, restricted to the first `width`
 * columns or rows. A weight held as CSR is counted from its CSR (no dense copy is built).
 */
function nonzeroCounts(t: Tensor, byColumn: boolean, width: number): number[] {
  const [rows, cols] = t.shape;
  const out = new Array<number>(width).fill(0);
  const csr = t.heldCsr;
  if (csr) {
    for (let r = 0; r < rows; r++)
      for (let i = csr.rowPtr[r]; i < csr.rowPtr[r + 1]; i++) {
        if (csr.values[i] === 0) continue;
        const at = byColumn ? csr.colIdx[i] : r;
        if (at < width) out[at]++;
      }
    return out;
  }
  const data = t.data;
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      if (data[r * cols + c] === 0) continue;
      const at = byColumn ? c : r;
      if (at < width) out[at]++;
    }
  return out;
}

const add = (a: number[], b: number[]) => a.map((v, i) => v + b[i]);

const cache = new WeakMap<Model, ChannelCounts>();

/**
 * For each residual channel: the tokens and positions embedded into it, and the nonzero weights that
 * read it (every sublayer's input matrix) or write it (every sublayer's output projection) and the
 * unembedding's. Weights read a sublayer's input after its norm, whose gain is per channel, so a zero
 * weight column means the channel is not read there at all. Computed once per model.
 */
export function channelCounts(model: Model): ChannelCounts {
  const hit = cache.get(model);
  if (hit) return hit;
  const d = model.dims.dModel;
  const p = (name: string) => model.params.get(name)!;
  let readers = new Array<number>(d).fill(0);
  let writers = new Array<number>(d).fill(0);
  for (let l = 0; l < model.dims.nLayer; l++) {
    const h = `transformer.h.${l}`;
    readers = add(readers, nonzeroCounts(p(`${h}.attn.c_attn.weight`), true, d));
    readers = add(readers, nonzeroCounts(p(`${h}.mlp.c_fc.weight`), true, d));
    writers = add(writers, nonzeroCounts(p(`${h}.attn.c_proj.weight`), false, d));
    writers = add(writers, nonzeroCounts(p(`${h}.mlp.c_proj.weight`), false, d));
  }
  const wte = p("transformer.wte.weight");
  const unembed = model.params.get("lm_head.weight") ?? wte;
  const counts: ChannelCounts = {
    wte: nonzeroCounts(wte, true, d),
    wpe: model.dims.catPosEmb ? undefined : nonzeroCounts(p("transformer.wpe.weight"), true, d),
    readers,
    writers,
    unembed: nonzeroCounts(unembed, true, d),
  };
  cache.set(model, counts);
  return counts;
}
