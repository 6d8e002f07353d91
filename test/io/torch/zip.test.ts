import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ZipReader } from "../../../src/io/torch/zip.js";
import { cspError, fixture, SHARED_PT, tempDir } from "./helpers.js";

function withZip<T>(path: string, fn: (z: ZipReader) => T): T {
  const z = ZipReader.open(path);
  try {
    return fn(z);
  } finally {
    z.close();
  }
}

describe("ZipReader", () => {
  test("lists the members of a torch.save archive as python's zipfile does", () => {
    // Counts, sizes and offsets below were read with python's zipfile from the same file.
    withZip(SHARED_PT, (z) => {
      expect(z.entries.size).toBe(34);
      expect(z.entry("final_model/data.pkl").size).toBe(2562);
      expect(z.entry("final_model/data/0").size).toBe(36864);
      expect(z.entry("final_model/version").localHeaderOffset).toBe(171728);
      expect(z.entry("final_model/data/27").method).toBe(0);
    });
  });

  test("reads members and byte ranges by offset", () => {
    withZip(SHARED_PT, (z) => {
      expect(new TextDecoder().decode(z.readEntry("final_model/byteorder"))).toBe("little");
      expect(new TextDecoder().decode(z.readEntry("final_model/version"))).toBe("3\n");
      const pkl = z.readEntry("final_model/data.pkl");
      expect([pkl[0], pkl[1], pkl[pkl.length - 1]]).toEqual([0x80, 2, 0x2e]); // PROTO 2 ... STOP
      const part = new Uint8Array(4);
      z.readInto("final_model/data.pkl", 2560, part.subarray(0, 2));
      expect([part[0], part[1]]).toEqual([0x75, 0x2e]); // SETITEMS STOP
    });
  });

  test("refuses to read past a member's end", () => {
    withZip(SHARED_PT, (z) => {
      const e = cspError(() => z.readInto("final_model/version", 1, new Uint8Array(2)));
      expect(e.message).toContain('zip member "final_model/version" has 2 bytes');
    });
  });

  test("a missing member is named", () => {
    withZip(SHARED_PT, (z) => {
      expect(cspError(() => z.entry("final_model/data/99")).message).toBe(
        `${SHARED_PT}: zip member "final_model/data/99" is missing`,
      );
    });
  });

  test("reads an archive whose every size and offset is in zip64 fields", () => {
    withZip(fixture("zip64.pt"), (z) => {
      const names = [...z.entries.keys()];
      expect(names).toContain("archive/data.pkl");
      const pkl = z.readEntry("archive/data.pkl");
      expect(pkl[0]).toBe(0x80);
      expect(pkl[pkl.length - 1]).toBe(0x2e);
      expect(new TextDecoder().decode(z.readEntry("archive/version"))).toBe("3\n");
    });
  });

  test("compressed members are refused with the member named", () => {
    withZip(fixture("deflated.pt"), (z) => {
      const e = cspError(() => z.readEntry("proto4/data.pkl"));
      expect(e.message).toContain(
        `${fixture("deflated.pt")}: zip member "proto4/data.pkl" is compressed (method 8)`,
      );
    });
  });

  test("a truncated file has no central directory", () => {
    const path = join(tempDir(), "half.pt");
    const bytes = readFileSync(SHARED_PT);
    writeFileSync(path, bytes.subarray(0, bytes.length >> 1));
    const e = cspError(() => ZipReader.open(path));
    expect(e.message).toMatch(new RegExp(`^${path}: not a zip archive or truncated`));
  });

  test("a file with bytes missing in the middle is reported as truncated", () => {
    const path = join(tempDir(), "holed.pt");
    const bytes = readFileSync(SHARED_PT);
    writeFileSync(path, Buffer.concat([bytes.subarray(0, 3000), bytes.subarray(9000)]));
    expect(cspError(() => ZipReader.open(path)).message).toMatch(new RegExp(`^${path}: file is truncated`));
  });

  test("a zip without zip64 records whose directory lies past the end is truncated", () => {
    const path = join(tempDir(), "holed-plain.pt");
    const bytes = readFileSync(fixture("deflated.pt")); // written by python's zipfile: no zip64 records
    writeFileSync(path, Buffer.concat([bytes.subarray(0, 100), bytes.subarray(300)]));
    expect(cspError(() => ZipReader.open(path)).message).toMatch(
      new RegExp(`^${path}: file is truncated: the zip central directory .* lies past the end of the file`),
    );
  });

  test("member data that would run past the end of the file is reported, not read short", () => {
    const path = join(tempDir(), "overrun.pt");
    const bytes = Buffer.from(readFileSync(fixture("zip64.pt")));
    bytes.writeUInt16LE(0xffff, 28); // first local header: extra field length now reaches past the end
    writeFileSync(path, bytes);
    withZip(path, (z) => {
      const first = [...z.entries.values()].find((e) => e.localHeaderOffset === 0)!;
      expect(cspError(() => z.readEntry(first.name)).message).toBe(
        `${path}: file is truncated: zip member "${first.name}" ends past the end of the file`,
      );
    });
  });

  test("a damaged local header is reported", () => {
    const path = join(tempDir(), "damaged.pt");
    const bytes = Buffer.from(readFileSync(fixture("zip64.pt")));
    bytes.writeUInt32LE(0, 0); // first local header signature
    writeFileSync(path, bytes);
    withZip(path, (z) => {
      const first = [...z.entries.values()].find((e) => e.localHeaderOffset === 0)!;
      expect(cspError(() => z.readEntry(first.name)).message).toContain("has no local header at offset 0");
    });
  });

  test("an empty or non-zip file is refused", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "empty.pt"), "");
    writeFileSync(join(dir, "text.pt"), "hello, this is not a zip file\n".repeat(10));
    expect(cspError(() => ZipReader.open(join(dir, "empty.pt"))).message).toContain("not a zip archive");
    expect(cspError(() => ZipReader.open(join(dir, "text.pt"))).message).toContain("not a zip archive");
    expect(cspError(() => ZipReader.open(join(dir, "absent.pt"))).message).toContain("cannot open (ENOENT)");
  });
});
