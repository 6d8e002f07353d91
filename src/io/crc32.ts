import * as zlib from "node:zlib";

// zlib.crc32 exists from Node 20.15; package.json allows any Node 20, so older 20.x releases use the
// table-driven CRC-32 (the same polynomial, 0xEDB88320, as zip and zlib).
const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 of `data` continuing from `previous` (0 to start), as zip stores it. */
export function crc32Table(data: Uint8Array, previous = 0): number {
  let c = ~previous >>> 0;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 of `data` continuing from `previous`: zlib's when this Node has it, else the table's. */
export function crc32(data: Uint8Array, previous = 0): number {
  return native ? native(data, previous) : crc32Table(data, previous);
}
