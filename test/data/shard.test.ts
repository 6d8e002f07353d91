import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CspError } from "../../src/errors.js";
import { readShard, writeShard } from "../../src/data/shard.js";

describe("token shards", () => {
  it("store concatenated chunks as little-endian uint16", () => {
    const path = join(mkdtempSync(join(tmpdir(), "csp-shard-")), "s.bin");
    writeShard(path, [Uint16Array.of(1, 0x0203), Uint16Array.of(0xffff)]);
    expect([...readFileSync(path)]).toEqual([1, 0, 3, 2, 0xff, 0xff]);
    expect([...readShard(path)]).toEqual([1, 0x0203, 0xffff]);
  });

  it("reject odd lengths and missing files with the path", () => {
    const dir = mkdtempSync(join(tmpdir(), "csp-shard-"));
    writeFileSync(join(dir, "odd.bin"), Uint8Array.of(1, 2, 3));
    expect(() => readShard(join(dir, "odd.bin"))).toThrow(CspError);
    expect(() => readShard(join(dir, "odd.bin"))).toThrow(/odd\.bin: token shard has an odd byte length 3/);
    expect(() => readShard(join(dir, "none.bin"))).toThrow(/none\.bin: cannot read/);
  });
});
