import { describe, expect, it } from "vitest";
import { crc32, crc32Table } from "../../src/io/crc32.js";

// Known CRC-32 values (the zip/zlib polynomial): "123456789" is the standard check value.
const ascii = (s: string) => new TextEncoder().encode(s);

describe("crc32", () => {
  it("gives the standard check values", () => {
    expect(crc32Table(ascii("123456789"))).toBe(0xcbf43926);
    expect(crc32Table(ascii(""))).toBe(0);
    expect(crc32Table(ascii("The quick brown fox jumps over the lazy dog"))).toBe(0x414fa339);
  });
  it("continues across chunks like one buffer", () => {
    const whole = crc32Table(ascii("123456789"));
    expect(crc32Table(ascii("56789"), crc32Table(ascii("1234")))).toBe(whole);
    expect(crc32(ascii("56789"), crc32(ascii("1234")))).toBe(whole);
  });
});
