import { describe, expect, test } from "vitest";
import { Rng } from "../../src/random/rng.js";

describe("Rng (xoshiro128**)", () => {
  test("matches the reference C implementation from state (1, 2, 3, 4)", () => {
    // Expected values printed by Vigna's xoshiro128starstar.c with s = {1, 2, 3, 4}.
    const r = Rng.fromState({ s: [1, 2, 3, 4], spareNormal: null });
    const got = Array.from({ length: 6 }, () => r.nextU32());
    expect(got).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  test("seeding runs splitmix32 from the seed (C oracle, seed 42)", () => {
    const r = new Rng(42);
    expect(r.state().s).toEqual([939911724, 3948730756, 321366731, 3317318717]);
    expect([r.nextU32(), r.nextU32(), r.nextU32()]).toEqual([2837322924, 544945897, 479756282]);
  });

  test("same seed, same stream; different seeds (also above 2^32), different streams", () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(7 + 2 ** 32);
    const xs = Array.from({ length: 50 }, () => a.normal());
    expect(Array.from({ length: 50 }, () => b.normal())).toEqual(xs);
    expect(Array.from({ length: 50 }, () => c.normal())).not.toEqual(xs);
  });

  test("a saved state continues the exact stream, including a pending Box-Muller value", () => {
    const a = new Rng(3);
    a.normal(); // leaves the pair's second value pending
    const saved = JSON.parse(JSON.stringify(a.state()));
    expect(saved.spareNormal).not.toBeNull();
    const expected = [a.normal(), a.uniform(), a.normal(), a.nextU32()];
    const b = Rng.fromState(saved);
    expect([b.normal(), b.uniform(), b.normal(), b.nextU32()]).toEqual(expected);
  });

  test("uniform lies in [0, 1) with mean 1/2; normal has mean 0 and variance 1", () => {
    const r = new Rng(123);
    const n = 200_000;
    let su = 0;
    let sn = 0;
    let sn2 = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      min = Math.min(min, u);
      max = Math.max(max, u);
      su += u;
      const z = r.normal();
      sn += z;
      sn2 += z * z;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    // Standard errors: uniform mean 0.00065, normal mean 0.0022, variance 0.0032.
    expect(Math.abs(su / n - 0.5)).toBeLessThan(0.003);
    expect(Math.abs(sn / n)).toBeLessThan(0.01);
    expect(Math.abs(sn2 / n - 1)).toBeLessThan(0.015);
  });

  test("int(n) is unbiased over a small range and refuses bad n", () => {
    const r = new Rng(5);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[r.int(3)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
    expect(() => r.int(0)).toThrow();
  });

  test("refuses invalid seeds and states", () => {
    expect(() => new Rng(1.5)).toThrow();
    expect(() => Rng.fromState({ s: [0, 0, 0, 0], spareNormal: null })).toThrow();
    expect(() =>
      Rng.fromState({ s: [1, 2, 3] as unknown as [number, number, number, number], spareNormal: null }),
    ).toThrow();
  });
});
