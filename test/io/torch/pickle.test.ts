import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { tuple, unpickle, type PyCallable, type UnpickleOptions } from "../../../src/io/torch/pickle.js";
import { cspError, fixture } from "./helpers.js";

/** No globals, no persistent ids: plain data only. */
const plainOptions: UnpickleOptions = {
  source: "test.pkl",
  resolveGlobal: () => undefined,
  persistentLoad: () => {
    throw new Error("unexpected persistent id");
  },
};

/** Assembles pickle bytes from opcodes (strings are latin1, one char per byte) and raw byte arrays. */
function pkl(...parts: (string | number[])[]): Uint8Array {
  const bytes: number[] = [];
  for (const p of parts) {
    if (typeof p === "string") for (const ch of p) bytes.push(ch.charCodeAt(0));
    else bytes.push(...p);
  }
  return new Uint8Array(bytes);
}
const u32 = (n: number) => [n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255];
const binunicode = (s: string) => {
  const b = [...Buffer.from(s, "utf8")];
  return ["X", [...u32(b.length), ...b]] as [string, number[]];
};

describe("unpickle: data written by python's pickle", () => {
  // The file holds, per make.py:
  //   {"ints": [0, 1, 255, 256, 65535, 65536, -1, 2**31-1, -2**31, 2**40, -2**70], "floats": [1.5, -0.25, 1e300],
  //    "consts": (True, False, None), "text": "héllo ✓", "nested": {"k": [[], ()], 3: "three"},
  //    "shared": [s, s] with s = [1, 2], "tuples": [(1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)]}
  for (const proto of [2, 4]) {
    test(`protocol ${proto}`, () => {
      const v = unpickle(readFileSync(fixture(`plain_p${proto}.pkl`)), plainOptions) as Map<unknown, unknown>;
      expect(v).toBeInstanceOf(Map);
      expect([...v.keys()]).toEqual(["ints", "floats", "consts", "text", "nested", "shared", "tuples"]);
      expect(v.get("ints")).toEqual([
        0,
        1,
        255,
        256,
        65535,
        65536,
        -1,
        2147483647,
        -2147483648,
        1099511627776,
        -1180591620717411303424n,
      ]);
      expect(v.get("floats")).toEqual([1.5, -0.25, 1e300]);
      expect(v.get("consts")).toEqual([true, false, null]);
      expect(Object.isFrozen(v.get("consts"))).toBe(true);
      expect(v.get("text")).toBe("h\u00e9llo \u2713");
      const nested = v.get("nested") as Map<unknown, unknown>;
      expect(nested.get("k")).toEqual([[], []]);
      expect(nested.get(3)).toBe("three");
      const shared = v.get("shared") as unknown[][];
      expect(shared[0]).toEqual([1, 2]);
      expect(shared[0]).toBe(shared[1]); // the memo keeps identity
      expect(v.get("tuples")).toEqual([[1], [1, 2], [1, 2, 3], [1, 2, 3, 4]]);
    });
  }
});

describe("unpickle: hand-assembled opcodes", () => {
  test("LONG1, BININT2, BINFLOAT, EMPTY_DICT/SETITEM, APPENDS, BINPUT/BINGET", () => {
    const bytes = pkl(
      "\x80\x02", // PROTO 2
      "}q\x00", // EMPTY_DICT, BINPUT 0
      ...binunicode("a"),
      "](", // EMPTY_LIST, MARK
      "\x8a\x02\x00\xff", // LONG1 2 bytes: 0xff00 as two's complement = -256
      "M\x34\x12", // BININT2 0x1234
      "G", [0x3f, 0xf8, 0, 0, 0, 0, 0, 0], // BINFLOAT 1.5 (big-endian)
      "e", // APPENDS
      "s", // SETITEM
      "h\x00", // BINGET 0 (the dict itself)
      ".", // STOP
    ); // prettier-ignore
    const v = unpickle(bytes, plainOptions) as Map<unknown, unknown>;
    expect(v.get("a")).toEqual([-256, 0x1234, 1.5]);
  });

  test("REDUCE calls only what resolveGlobal hands out, with the pickled arguments", () => {
    const calls: unknown[][] = [];
    const add: PyCallable = {
      qualname: "ops.add",
      call: (args) => {
        calls.push([...args]);
        return (args[0] as number) + (args[1] as number);
      },
    };
    const bytes = pkl("\x80\x02", "cops\nadd\n", "K\x02K\x03\x86", "R", ".");
    const v = unpickle(bytes, {
      ...plainOptions,
      resolveGlobal: (m, n) => (m === "ops" && n === "add" ? add : undefined),
    });
    expect(v).toBe(5);
    expect(calls).toEqual([[2, 3]]);
  });

  test("a forbidden GLOBAL is refused before anything is called", () => {
    // c builtins\neval\n ( X "print(1)" t R .   — pickle's classic code-execution payload
    const bytes = pkl("\x80\x02", "cbuiltins\neval\n", "(", ...binunicode("print(1)"), "tR.");
    const e = cspError(() => unpickle(bytes, plainOptions));
    expect(e.message).toBe("test.pkl: pickle refers to forbidden global builtins.eval");
  });

  test("STACK_GLOBAL goes through the same allowlist", () => {
    const bytes = pkl("\x80\x04", "\x8c\x02os\x94", "\x8c\x06system\x94", "\x93", ".");
    expect(cspError(() => unpickle(bytes, plainOptions)).message).toBe(
      "test.pkl: pickle refers to forbidden global os.system",
    );
  });

  test("opcodes torch never writes are refused (INST, EXT1)", () => {
    expect(cspError(() => unpickle(pkl("(ios\nsystem\n."), plainOptions)).message).toBe(
      "test.pkl: pickle opcode 0x69 at byte 1 is not supported",
    );
    expect(cspError(() => unpickle(pkl("\x80\x02\x82\x01."), plainOptions)).message).toContain("opcode 0x82");
  });

  test("BUILD is refused unless the caller handles it", () => {
    expect(cspError(() => unpickle(pkl("\x80\x02}}b."), plainOptions)).message).toBe(
      "test.pkl: pickle BUILD on a dict is not supported",
    );
  });

  test("truncated data, stack underflow and a missing memo key are errors, not crashes", () => {
    expect(cspError(() => unpickle(pkl("\x80\x02X\x10\x00\x00\x00ab"), plainOptions)).message).toBe(
      "test.pkl: pickle data is truncated",
    );
    expect(cspError(() => unpickle(pkl("\x80\x02}"), plainOptions)).message).toBe(
      "test.pkl: pickle data is truncated",
    );
    expect(cspError(() => unpickle(pkl("\x80\x02."), plainOptions)).message).toBe(
      "test.pkl: pickle stack underflow",
    );
    expect(cspError(() => unpickle(pkl("\x80\x02(\x85."), plainOptions)).message).toBe(
      "test.pkl: pickle stack underflow",
    );
    expect(cspError(() => unpickle(pkl("\x80\x02h\x07."), plainOptions)).message).toBe(
      "test.pkl: pickle memo key 7 is undefined",
    );
  });

  test("APPEND on a tuple and SETITEM on a list are refused", () => {
    expect(cspError(() => unpickle(pkl("\x80\x02)K\x01a."), plainOptions)).message).toBe(
      "test.pkl: pickle APPEND on a tuple",
    );
    expect(cspError(() => unpickle(pkl("\x80\x02]K\x01K\x02s."), plainOptions)).message).toBe(
      "test.pkl: pickle SETITEM on a list",
    );
  });

  test("tuple() freezes", () => {
    expect(Object.isFrozen(tuple([1]))).toBe(true);
  });
});
