import { describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  floatToHalf,
  halfToFloat,
  parseSafetensors,
  readSafetensors,
  serializeSafetensors,
  writeSafetensors,
  type TensorMap,
} from "../../src/io/safetensors.js";

function concat(chunks: Uint8Array[]): Uint8Array {
  return Buffer.concat(chunks);
}

/** Hand-assembled file: 8-byte header length, header JSON, data. */
function rawFile(header: unknown, data: Uint8Array, lenOverride?: number): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(lenOverride ?? json.length));
  return Buffer.concat([len, json, data]);
}

describe("safetensors", () => {
  it("reads a file assembled by hand", () => {
    const data = Buffer.alloc(12);
    data.writeFloatLE(1.5, 0);
    data.writeFloatLE(-2, 4);
    data.writeInt32LE(7, 8);
    const file = rawFile(
      {
        a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
        b: { dtype: "I32", shape: [1, 1], data_offsets: [8, 12] },
      },
      data,
    );
    const { tensors } = parseSafetensors(file);
    expect(Array.from(tensors.get("a")!.data)).toEqual([1.5, -2]);
    expect(tensors.get("b")!.shape).toEqual([1, 1]);
    expect(Array.from(tensors.get("b")!.data)).toEqual([7]);
  });

  it("round-trips every dtype, with metadata, aligned data", () => {
    const vals = [0, 1, -2.5, 65504, 1e-3, -0.333251953125];
    const map: TensorMap = new Map([
      ["f32", { dtype: "F32", shape: [2, 3], data: Float32Array.from(vals) }],
      ["f64", { dtype: "F64", shape: [6], data: Float64Array.from(vals) }],
      ["f16", { dtype: "F16", shape: [6], data: Float32Array.from(vals) }],
      ["bf16", { dtype: "BF16", shape: [3, 2], data: Float32Array.from([1, -2, 0.5, 3.140625, 0, 256]) }],
      ["i32", { dtype: "I32", shape: [3], data: Int32Array.from([-1, 0, 2147483647]) }],
      ["i64", { dtype: "I64", shape: [3], data: Int32Array.from([-5, 0, 2047]) }],
    ]);
    const bytes = concat(serializeSafetensors(map, { format: "pt" }));
    const headerLen = Number(Buffer.from(bytes).readBigUInt64LE(0));
    expect((8 + headerLen) % 8).toBe(0);
    const back = parseSafetensors(bytes);
    expect(back.metadata).toEqual({ format: "pt" });
    expect(Array.from(back.tensors.get("f32")!.data)).toEqual(Array.from(Float32Array.from(vals)));
    expect(Array.from(back.tensors.get("f64")!.data)).toEqual(vals);
    // 1e-3 and -1/3 are not exact in half precision: nearest halves are 0.0010004 and -0.33325195.
    expect(Array.from(back.tensors.get("f16")!.data)).toEqual([
      0, 1, -2.5, 65504, 0.0010004043579101563, -0.333251953125,
    ]);
    expect(Array.from(back.tensors.get("bf16")!.data)).toEqual([1, -2, 0.5, 3.140625, 0, 256]);
    expect(Array.from(back.tensors.get("i32")!.data)).toEqual([-1, 0, 2147483647]);
    expect(Array.from(back.tensors.get("i64")!.data)).toEqual([-5, 0, 2047]);
  });

  it("converts half floats exactly at known bit patterns", () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(1e6)).toBe(0x7c00);
  });

  const corrupt: [string, Uint8Array, RegExp][] = [
    ["shorter than the length field", new Uint8Array(5), /header length missing/],
    [
      "header longer than the file",
      rawFile({}, new Uint8Array(0), 1000),
      /truncated or corrupt safetensors header/,
    ],
    [
      "header not JSON",
      Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from("{{{{")]),
      /not valid JSON/,
    ],
    [
      "unknown dtype",
      rawFile({ a: { dtype: "C64", shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)),
      /unsupported dtype "C64"/,
    ],
    [
      "offsets that disagree with the shape",
      rawFile({ a: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)),
      /needs 12/,
    ],
    [
      "data cut short",
      rawFile({ a: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8)),
      /past the end of the data/,
    ],
    [
      "negative shape",
      rawFile({ a: { dtype: "F32", shape: [-1], data_offsets: [0, 0] } }, new Uint8Array(0)),
      /invalid shape/,
    ],
    [
      "overlapping tensors",
      rawFile(
        {
          a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
          b: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
        },
        new Uint8Array(12),
      ),
      /overlap/,
    ],
  ];
  for (const [what, bytes, message] of corrupt) {
    it(`refuses a file with ${what}, naming it`, () => {
      const dir = mkdtempSync(join(tmpdir(), "csp-st-"));
      const path = join(dir, "bad.safetensors");
      writeFileSync(path, bytes);
      expect(() => readSafetensors(path)).toThrow(
        new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: `),
      );
      expect(() => readSafetensors(path)).toThrow(message);
    });
  }

  it("writes atomically: no temporary file is left behind", () => {
    const dir = mkdtempSync(join(tmpdir(), "csp-st-"));
    writeSafetensors(
      join(dir, "x.safetensors"),
      new Map([["a", { dtype: "F32", shape: [1], data: new Float32Array([3]) }]]),
    );
    expect(readdirSync(dir)).toEqual(["x.safetensors"]);
    expect(readSafetensors(join(dir, "x.safetensors")).tensors.get("a")!.data[0]).toBe(3);
  });
});
