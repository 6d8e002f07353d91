import type { Backend } from "../backend.js";
import { gemmTs } from "./gemm.js";
import { sddmmTs, spmmNNTs, spmmNTTs } from "./sparse.js";
import { absTopKForward } from "../../model/layers/abstopk.js";
import { attentionBackward, attentionForward } from "../../model/layers/attention.js";
import { geluBackward, geluForward } from "../../model/layers/gelu.js";
import { rmsNormBackward, rmsNormForward } from "../../model/layers/rmsnorm.js";
import { addGatheredRows, addInto, copyBlock, scatterAddRows } from "../../model/layers/rows.js";

export const tsBackend: Backend = {
  name: "ts",
  gemm: gemmTs,
  spmmNT: spmmNTTs,
  spmmNN: spmmNNTs,
  sddmm: sddmmTs,
  absTopK: absTopKForward,
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
};
