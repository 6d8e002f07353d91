import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { readSafetensors } from "../../../src/io/safetensors.js";
import { readTorchStateDict, TorchCheckpoint } from "../../../src/io/torch/state_dict.js";
import {
  cspError,
  expectBitwiseEqual,
  expectedTensors,
  expectSameValues,
  fixture,
  PARITY_WEIGHTS,
  SHARED_PT,
  tempDir,
} from "./helpers.js";

// torch dtype → what the reader keeps it as (StoredTensor conventions).
const SAFE_DTYPE: Record<string, string> = {
  float32: "F32",
  float16: "F16",
  bfloat16: "BF16",
  float64: "F64",
  int64: "I64",
  int32: "I32",
};

/** Reads `<name>.pt` and compares every tensor with torch's own values in `<name>.json`. */
function expectMatchesTorch(name: string): void {
  const tensors = readTorchStateDict(fixture(`${name}.pt`));
  const expected = expectedTensors(fixture(`${name}.json`));
  expect([...tensors.keys()]).toEqual(Object.keys(expected));
  for (const [key, e] of Object.entries(expected)) {
    const t = tensors.get(key)!;
    expect(t.dtype, key).toBe(SAFE_DTYPE[e.dtype]);
    expect(t.shape, key).toEqual(e.shape);
    expectSameValues(t.data, e.values, `${name}:${key}`);
  }
}

describe("readTorchStateDict", () => {
  test("the shared fixture loads to exactly the parity weights (incl. the non-contiguous c_proj)", () => {
    const tensors = readTorchStateDict(SHARED_PT);
    expectBitwiseEqual(tensors, readSafetensors(PARITY_WEIGHTS).tensors);
  });

  test("the non-contiguous tensor of the shared fixture is recognised as a strided view", () => {
    const ckpt = TorchCheckpoint.open(SHARED_PT);
    try {
      const strided = ckpt.names.filter((n) => ckpt.info(n).strided);
      expect(strided).toEqual(["transformer.h.0.attn.c_proj.weight"]);
      expect(ckpt.info("bigram_table")).toEqual({ shape: [96, 96], dtype: "float32", strided: false });
    } finally {
      ckpt.close();
    }
  });

  test("fp32, fp16, bf16, fp64, int64, int32, 0-d and empty tensors", () => expectMatchesTorch("dtypes"));
  test("strided views: transpose, slices, steps, expand, permute, shared storage", () =>
    expectMatchesTorch("views"));
  test("a protocol-4 pickle (FRAME, MEMOIZE, STACK_GLOBAL)", () => expectMatchesTorch("proto4"));
  test("a zip64 archive under the usual archive/ prefix", () => expectMatchesTorch("zip64"));

  test("an unsupported dtype names the tensor and the dtype", () => {
    const e = cspError(() => readTorchStateDict(fixture("complex.pt")));
    expect(e.message).toMatch(
      new RegExp(
        `^${fixture("complex.pt")}: tensor "w": unsupported dtype complex64 \\(torch.ComplexFloatStorage\\)`,
      ),
    );
  });

  test("int64 values beyond int32 are refused, naming the tensor", () => {
    const e = cspError(() => readTorchStateDict(fixture("i64_big.pt")));
    expect(e.message).toBe(
      `${fixture("i64_big.pt")}: tensor "big": int64 value 2147483648 does not fit in int32`,
    );
  });

  test("a pickle that would run os.system is refused without running anything", () => {
    // python pickles os.system as posix.system
    const e = cspError(() => readTorchStateDict(fixture("evil.pt")));
    expect(e.message).toBe(`${fixture("evil.pt")}: pickle refers to forbidden global posix.system`);
  });

  test("compressed archives and the legacy format are refused with a clear message", () => {
    expect(cspError(() => readTorchStateDict(fixture("deflated.pt"))).message).toContain(
      "is compressed (method 8)",
    );
    expect(cspError(() => readTorchStateDict(fixture("legacy.pt"))).message).toBe(
      `${fixture("legacy.pt")}: legacy (pre-PyTorch-1.6) torch.save format is not supported; re-save it with a current torch`,
    );
  });

  test("a zip without <archive>/data.pkl, and a file that is not a zip", () => {
    const emptyZip = join(tempDir(), "empty-zip.pt");
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0); // an end-of-central-directory record with no entries
    writeFileSync(emptyZip, eocd);
    expect(cspError(() => readTorchStateDict(emptyZip)).message).toBe(
      `${emptyZip}: zip has no <archive>/data.pkl; not a torch.save checkpoint`,
    );
    expect(cspError(() => readTorchStateDict(fixture("views.json"))).message).toContain("not a zip archive");
  });
});
