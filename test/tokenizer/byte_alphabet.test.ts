import { describe, expect, it } from "vitest";
import { BYTE_ORDER, BYTE_RANK, bytesToDataGym, dataGymToBytes } from "../../src/tokenizer/byte_alphabet.js";

describe("data-gym byte alphabet", () => {
  it("orders printable non-space bytes first, then the rest ascending", () => {
    expect(BYTE_ORDER.length).toBe(256);
    expect(new Set(BYTE_ORDER).size).toBe(256);
    expect(BYTE_ORDER[0]).toBe(0x21); // "!"
    expect(BYTE_ORDER[93]).toBe(0x7e); // "~"
    expect(BYTE_ORDER[94]).toBe(0xa1); // "¡"
    expect(BYTE_ORDER[105]).toBe(0xac); // "¬"; 0xad (soft hyphen) is not printable
    expect(BYTE_ORDER[106]).toBe(0xae);
    expect(BYTE_ORDER[187]).toBe(0xff);
    expect(BYTE_ORDER[188]).toBe(0x00);
    expect(BYTE_ORDER[220]).toBe(0x20); // space comes after the 32 control bytes
    expect(BYTE_ORDER[221]).toBe(0x7f);
    expect(BYTE_ORDER[255]).toBe(0xad);
    for (let r = 0; r < 256; r++) expect(BYTE_RANK[BYTE_ORDER[r]]).toBe(r);
  });

  it("spells bytes as GPT-2 does", () => {
    // Known GPT-2 spellings: space "Ġ", newline "Ċ", tab "ĉ", NUL "Ā", DEL "ġ", soft hyphen "Ń".
    expect(bytesToDataGym(Uint8Array.of(0x20, 0x0a, 0x09, 0x00, 0x7f, 0xad))).toBe("ĠĊĉĀġŃ");
    expect(bytesToDataGym(new TextEncoder().encode("é"))).toBe("Ã©");
    expect(bytesToDataGym(new TextEncoder().encode("az~"))).toBe("az~");
  });

  it("reads every byte back and rejects characters outside the alphabet", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(dataGymToBytes(bytesToDataGym(all))).toEqual(all);
    expect(dataGymToBytes("a b")).toBeUndefined();
    expect(dataGymToBytes("€")).toBeUndefined();
    expect(dataGymToBytes("Ņ")).toBeUndefined(); // U+0145 = 256 + 69, one past the last
  });
});
