import { describe, expect, it } from "vitest";
import { erf, geluBackward, geluForward } from "../../../src/backend/ts/activations.js";
import { randomArray } from "../../helpers/random.js";
import { checkGrad, dot } from "./grad_check.js";

describe("activation kernels of the TypeScript oracle (float64)", () => {
  it("erf-GELU: the backward matches finite differences", () => {
    const n = 40;
    const x = randomArray(n, 31, 3);
    const r = randomArray(n, 32);
    const f = () => {
      const out = new Float64Array(n);
      geluForward(x, out, n);
      return dot(out, r);
    };
    const dx = new Float64Array(n);
    geluBackward(x, r, dx, n);
    checkGrad("dx", f, x, dx, 33);
  });

  it("erf matches known values to double precision", () => {
    // Values from Abramowitz & Stegun table 7.1 / high-precision references.
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(erf(1)).toBeCloseTo(0.8427007929497149, 14);
    expect(erf(2)).toBeCloseTo(0.9953222650189527, 14);
    expect(erf(3)).toBeCloseTo(0.9999779095030014, 14);
    expect(erf(-1.5)).toBeCloseTo(-0.9661051464753108, 14);
    expect(erf(4.5)).toBeCloseTo(0.9999999998033839, 14);
  });
});
