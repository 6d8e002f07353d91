import { describe, expect, it } from "vitest";
import { defaultSplit, taskSplits, type Task, type TaskPair } from "../../src/tasks/index.js";

const pair = (id: string, split: "train" | "test"): TaskPair => ({
  id,
  split,
  a: Int32Array.of(1),
  b: Int32Array.of(2),
  aNext: 3,
  bNext: 4,
});

describe("splits", () => {
  it("taskSplits partitions the pairs in order", () => {
    const task: Task = { name: "t", pairs: [pair("x", "train"), pair("y", "test"), pair("z", "train")] };
    const { train, test } = taskSplits(task);
    expect(train.map((p) => p.id)).toEqual(["x", "z"]);
    expect(test.map((p) => p.id)).toEqual(["y"]);
  });

  it("defaultSplit is FNV-1a of the id, test when divisible by 5", () => {
    // FNV-1a 32-bit of "a" is 0xe40c292c = 3826002220 (a published test vector); 3826002220 % 5 = 0.
    expect(defaultSplit("a")).toBe("test");
    // FNV-1a of "foobar" is 0xbf9cf968 = 3214735720; % 5 = 0 as well; "b" is 0xe70c2de5 = 3876335077, % 5 = 2.
    expect(defaultSplit("foobar")).toBe("test");
    expect(defaultSplit("b")).toBe("train");
  });

  it("defaultSplit puts about 20% of ids in test", () => {
    let test = 0;
    for (let i = 1; i <= 5000; i++) if (defaultSplit(String(i)) === "test") test++;
    expect(test / 5000).toBeGreaterThan(0.17);
    expect(test / 5000).toBeLessThan(0.23);
  });
});
