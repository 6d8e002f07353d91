import type { Backend } from "../backend.js";
import { gemmTs } from "./gemm.js";
import { csrFromDense, countNonzero } from "../../tensor/sparse.js";
import { sddmmTs, spmmNNTs, spmmNTTs } from "./sparse.js";
import { absTopKForward, maskByKeptTs } from "../../model/layers/abstopk.js";
import { attentionBackward, attentionForward } from "../../model/layers/attention.js";
import { crossEntropyTs } from "../../model/layers/cross_entropy.js";
import { geluBackward, geluForward } from "../../model/layers/gelu.js";
import { rmsNormBackward, rmsNormForward } from "../../model/layers/rmsnorm.js";
import { addGatheredRows, addInto, copyBlock, scatterAddRows } from "../../model/layers/rows.js";
import { addColumnSumsTs } from "../../model/layers/linear.js";
import { adamUpdateTs } from "../../train/adam.js";
import { divideInPlaceTs, sumSquaresTs } from "../../train/grad_norm.js";
import { projectTopKTs } from "../../train/topk.js";
import { decayInPlaceTs } from "../../train/weight_decay.js";

// The modules of the training-step oracles (and abstopk) import getBackend themselves, so they can be
// evaluated before this one in an import cycle: their functions are looked up when called, not here.
export const tsBackend: Backend = {
  name: "ts",
  countNonzeros: (a) => countNonzero(a),
  csrFromDense: (dense, rows, cols) => csrFromDense(dense, rows, cols),
  gemm: gemmTs,
  spmmNT: spmmNTTs,
  spmmNN: spmmNNTs,
  sddmm: sddmmTs,
  absTopK: (x, n, d, k, kept) => absTopKForward(x, n, d, k, kept),
  gelu: geluForward,
  geluBackward: geluBackward,
  attentionForward,
  attentionBackward,
  addInto,
  addGatheredRows,
  rmsNormForward,
  rmsNormBackward,
  scatterAddRows,
  copyBlock,
  adamUpdate: (p, g, m, v, c) => adamUpdateTs(p, g, m, v, c),
  sumSquares: (arrays) => sumSquaresTs(arrays),
  divideInPlace: (arrays, divisor) => divideInPlaceTs(arrays, divisor),
  decayInPlace: (arrays, factor) => decayInPlaceTs(arrays, factor),
  addColumnSums: (dy, n, d, out) => addColumnSumsTs(dy, n, d, out),
  maskByKept: (dy, kept, size) => maskByKeptTs(dy, kept, size),
  projectTopK: (p) => projectTopKTs(p),
  crossEntropy: (logits, targets, v, dLogits, scale) => crossEntropyTs(logits, targets, v, dLogits, scale),
};
