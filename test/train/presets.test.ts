import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { getPreset } from "../../src/train/presets.js";

const ZOO = "models/zoo";

interface Identity {
  model: Record<string, unknown>;
  train: Record<string, unknown>;
}

// Every shipped zoo model is what its preset trains today (`csp train --preset zoo-NAME`): a preset
// that drifted from the committed model would make docs/zoo.md's commands train something else.
describe("the zoo presets", () => {
  const names = readdirSync(ZOO).sort();

  it("cover every shipped zoo model", () => {
    expect(names).toEqual([
      "dense-d128",
      "dense-d32",
      "dense-d64",
      "sparse-ef1",
      "sparse-ef1-8x",
      "sparse-ef2",
      "sparse-ef4",
      "sparse-ef4-l0x4",
    ]);
  });

  it.each(names)("zoo-%s has the model and recipe its committed model was trained with", (name) => {
    const config = JSON.parse(readFileSync(join(ZOO, name, "config.json"), "utf8")) as {
      train: { identity: Identity };
    };
    const { identity } = config.train;
    const preset = getPreset(`zoo-${name}`);
    for (const [key, value] of Object.entries(identity.model))
      expect((preset.model as unknown as Record<string, unknown>)[key], `model.${key}`).toEqual(value);
    for (const [key, value] of Object.entries(identity.train))
      expect((preset.train as unknown as Record<string, unknown>)[key], `train.${key}`).toEqual(value);
  });
});
