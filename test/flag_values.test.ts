import { describe, expect, it } from "vitest";
import { CspError } from "../src/errors.js";
import { choiceFlag, intFlag, numFlag } from "../src/flag_values.js";

describe("intFlag", () => {
  it("parses an integer, gives the fallback (which may be undefined) when the flag is absent", () => {
    expect(intFlag("--n", "12", 5)).toBe(12);
    expect(intFlag("--n", undefined, 5)).toBe(5);
    expect(intFlag("--n", undefined, undefined)).toBeUndefined();
    expect(intFlag("--seed", "-3", 0, {})).toBe(-3);
  });

  it("refuses non-integers and values out of range in one line naming the flag", () => {
    expect(() => intFlag("--n", "0", 5)).toThrow(new CspError(`--n: expected an integer ≥ 1, got "0"`));
    expect(() => intFlag("--n", "2.5", 5, { min: 0 })).toThrow(
      new CspError(`--n: expected an integer ≥ 0, got "2.5"`),
    );
    expect(() => intFlag("--n", " ", 5, {})).toThrow(new CspError(`--n: expected an integer, got " "`));
    expect(() => intFlag("--port", "70000", 1, { min: 0, max: 65535 })).toThrow(
      new CspError(`--port: expected an integer ≥ 0 and ≤ 65535, got "70000"`),
    );
    expect(() => intFlag("--top", "9", 1, { max: 8 })).toThrow(
      new CspError(`--top: expected an integer ≤ 8, got "9"`),
    );
  });
});

describe("numFlag", () => {
  it("parses a number inside the range; null and undefined fallbacks pass through", () => {
    expect(numFlag("--x", "0.25", 1, { min: 0, max: 0.5 })).toBe(0.25);
    expect(numFlag("--x", undefined, null)).toBeNull();
    expect(numFlag("--x", undefined, undefined)).toBeUndefined();
  });

  it("refuses blanks, non-numbers and values out of range", () => {
    expect(() => numFlag("--x", "", 1)).toThrow(new CspError(`--x: expected a number, got ""`));
    expect(() => numFlag("--x", "abc", 1, { min: 0 })).toThrow(
      new CspError(`--x: expected a number ≥ 0, got "abc"`),
    );
    expect(() => numFlag("--x", "0", 1, { min: 0, minExclusive: true, max: 0.5 })).toThrow(
      new CspError(`--x: expected a number > 0 and ≤ 0.5, got "0"`),
    );
    expect(() => numFlag("--x", "2", 1, { max: 1 })).toThrow(
      new CspError(`--x: expected a number ≤ 1, got "2"`),
    );
  });
});

describe("choiceFlag", () => {
  it("accepts one of the words, else lists them", () => {
    const kinds = ["mean", "zero"] as const;
    expect(choiceFlag("--ablation", "zero", kinds, "mean")).toBe("zero");
    expect(choiceFlag("--ablation", undefined, kinds, undefined)).toBeUndefined();
    expect(() => choiceFlag("--ablation", "median", kinds, "mean")).toThrow(
      new CspError(`--ablation: expected one of mean, zero, got "median"`),
    );
  });
});
