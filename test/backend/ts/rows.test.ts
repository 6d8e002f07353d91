import { describe, it } from "vitest";
import { rmsNormBackward, rmsNormForward } from "../../../src/backend/ts/rows.js";
import { randomArray } from "../../helpers/random.js";
import { checkGrad, dot } from "./grad_check.js";

describe("row kernels of the TypeScript oracle: backward passes match finite differences (float64)", () => {
  it("rmsnorm", () => {
    const [n, d] = [4, 6];
    const x = randomArray(n * d, 1);
    const w = randomArray(d, 2);
    const r = randomArray(n * d, 3);
    const f = () => {
      const out = new Float64Array(n * d);
      rmsNormForward({ x, w, n, d, out, rstd: new Float64Array(n) });
      return dot(out, r);
    };
    const rstd = new Float64Array(n);
    rmsNormForward({ x, w, n, d, out: new Float64Array(n * d), rstd });
    const dx = new Float64Array(n * d);
    const dw = new Float64Array(d);
    rmsNormBackward({ dy: r, x, w, rstd, n, d, dx, dw });
    checkGrad("dx", f, x, dx, 4);
    checkGrad("dw", f, w, dw, 5);
  });
});
