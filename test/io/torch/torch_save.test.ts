import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { readTorchStateDict } from "../../../src/io/torch/state_dict.js";
import { writeTorchStateDict, type SaveTensor } from "../../../src/io/torch/torch_save.js";
import { ZipReader } from "../../../src/io/torch/zip.js";
import { tempDir } from "./helpers.js";
import { describeTorchFiles } from "./python.js";

function tensor(name: string, shape: number[], seed: number): SaveTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { name, shape, data: Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 31 + i) * 1e3) };
}

describe("writeTorchStateDict", () => {
  test("pickle opcodes torch uses past the small cases: >1000 items, memo ≥ 256, 0-d and 4-d shapes, big sizes", () => {
    const dir = tempDir();
    // 1001 items: one SETITEMS batch of 1000 and a SETITEM of one; thousands of memo entries.
    const many: SaveTensor[] = [];
    for (let i = 0; i < 1001; i++) many.push(tensor(`layer.${i}.w`, i % 3 === 0 ? [] : [2, 1, 1, 2], i));
    many.push(tensor("wide", [1, 70000], 7)); // a size past BININT2
    const single = [tensor("only", [3], 1)];
    const manyPath = join(dir, "many.pt");
    const singlePath = join(dir, "single.pt");
    writeTorchStateDict(manyPath, many);
    writeTorchStateDict(singlePath, single);

    const view = describeTorchFiles([manyPath, singlePath]);
    for (const [path, tensors] of [
      [manyPath, many],
      [singlePath, single],
    ] as const) {
      const zip = ZipReader.open(path);
      const ours = Buffer.from(zip.readEntry("archive/data.pkl"));
      zip.close();
      expect(ours.equals(Buffer.from(view[path].torch_pickle, "base64")), `${path}: data.pkl`).toBe(true);
      expect(Object.keys(view[path].tensors)).toEqual(tensors.map((t) => t.name));
      for (const t of tensors) {
        const theirs = view[path].tensors[t.name];
        expect(theirs.shape, t.name).toEqual(t.shape);
        const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
        expect(Buffer.from(theirs.bytes, "base64").equals(bytes), t.name).toBe(true);
      }
      expect(view[path].members.every((m) => m.data_offset % 64 === 0)).toBe(true);
    }
    // And our own reader reads it back.
    expect(readTorchStateDict(singlePath).get("only")!.data).toEqual(single[0].data);
  });

  test("a tensor whose shape does not hold its data is refused before anything is written", () => {
    const path = join(tempDir(), "bad.pt");
    expect(() =>
      writeTorchStateDict(path, [{ name: "w", shape: [2, 2], data: new Float32Array(3) }]),
    ).toThrow(/shape \[2, 2\] does not hold 3 values/);
  });
});
