import { describe, expect, it } from "vitest";
import { bridgeSites } from "../../../src/model/bridges_file.js";
import { klSitesAt } from "../../../src/train/bridges/bridged_step.js";

describe("the hybrid runs' sites per step", () => {
  const sites = bridgeSites(3);
  const key = (s: { layer: number; sublayer: string }) => `${s.layer}.${s.sublayer}`;

  it("are distinct sites in forward order, the same for the same seed and step", () => {
    for (let step = 0; step < 20; step++) {
      const picked = klSitesAt(sites, 2, 7, step).map(key);
      expect(new Set(picked).size).toBe(2);
      expect(picked).toEqual(klSitesAt(sites, 2, 7, step).map(key));
      const order = picked.map((k) => sites.map(key).indexOf(k));
      expect(order[0]).toBeLessThan(order[1]);
    }
  });

  it("cover every site over steps, and all sites when asked for as many", () => {
    const seen = new Set<string>();
    for (let step = 0; step < 60; step++) for (const s of klSitesAt(sites, 1, 0, step)) seen.add(key(s));
    expect(seen.size).toBe(sites.length);
    expect(klSitesAt(sites, 9, 0, 3).map(key)).toEqual(sites.map(key));
  });
});
