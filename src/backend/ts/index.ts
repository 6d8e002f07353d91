import type { Backend } from "../backend.js";
import { csrFromDense, countNonzero } from "../../tensor/sparse.js";
import { absTopKForward, geluBackward, geluForward } from "./activations.js";
import { attentionBackward, attentionForward } from "./attention.js";
import { gemmTs } from "./gemm.js";
import { gemmSparseATs } from "./gemm_sparse_a.js";
import {
  addGatheredRows,
  addInto,
  copyBlock,
  rmsNormBackward,
  rmsNormForward,
  scatterAddRows,
} from "./rows.js";
import { sddmmTs, spmmNNTs, spmmNTTs } from "./sparse.js";
import { crossEntropyTs } from "./train_cross_entropy.js";
import {
  adamUpdateTs,
  addColumnSumsTs,
  decayInPlaceTs,
  divideInPlaceTs,
  maskByKeptTs,
  sumSquaresTs,
} from "./train_kernels.js";
import { nodeMaskBackward, nodeMaskForward } from "./node_mask.js";
import { projectTopKTs } from "./train_topk.js";

/** The TypeScript backend: the oracle every native kernel is tested against (one file per native .cc). */
export const tsBackend: Backend = {
  name: "ts",
  countNonzeros: (a) => countNonzero(a),
  csrFromDense: (dense, rows, cols) => csrFromDense(dense, rows, cols),
  gemm: gemmTs,
  spmmNT: spmmNTTs,
  spmmNN: spmmNNTs,
  sddmm: sddmmTs,
  gemmSparseA: gemmSparseATs,
  absTopK: absTopKForward,
  gelu: geluForward,
  geluBackward,
  attentionForward,
  attentionBackward,
  addInto,
  addGatheredRows,
  rmsNormForward,
  rmsNormBackward,
  scatterAddRows,
  copyBlock,
  nodeMaskForward,
  nodeMaskBackward,
  adamUpdate: adamUpdateTs,
  sumSquares: sumSquaresTs,
  divideInPlace: divideInPlaceTs,
  decayInPlace: decayInPlaceTs,
  addColumnSums: addColumnSumsTs,
  maskByKept: maskByKeptTs,
  projectTopK: projectTopKTs,
  crossEntropy: crossEntropyTs,
};
