import type { Backend } from "../backend.js";
import { gemmTs } from "./gemm.js";
import { sddmmTs, spmmNNTs, spmmNTTs } from "./sparse.js";

export const tsBackend: Backend = {
  name: "ts",
  gemm: gemmTs,
  spmmNT: spmmNTTs,
  spmmNN: spmmNNTs,
  sddmm: sddmmTs,
};
