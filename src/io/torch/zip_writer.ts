import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import { crc32 } from "../crc32.js";

/** torch aligns every member's data to 64 bytes (caffe2 `kFieldAlignment`), so it can be mmapped. */
export const TORCH_ALIGNMENT = 64;

const LOCAL_SIGNATURE = 0x04034b50;
const DESCRIPTOR_SIGNATURE = 0x08074b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const EOCD_SIGNATURE = 0x06054b50;
const U32_MAX = 0xffffffff;
/** General-purpose flags torch's writer (miniz) sets: bit 3 (sizes in a data descriptor), bit 11 (UTF-8 names). */
const FLAGS = 0x0808;
const ZIP64_VERSION = 45;
/** "version made by" of the zip64 end record as miniz writes it (Unix, spec 3.0). */
const ZIP64_MADE_BY = 0x031e;

interface WrittenEntry {
  name: Uint8Array;
  crc: number;
  size: number;
  offset: number;
}

export interface ZipWriterOptions {
  /**
   * Write zip64 fields for every member, as miniz does for members or offsets past 4 GiB. Only for
   * tests: it lets a small archive take the zip64 path.
   */
  forceZip64?: boolean;
}

/**
 * Writes a zip archive the way PyTorch's `PyTorchStreamWriter` (miniz) does, member by member through
 * a file descriptor, so no member is held twice in memory: stored (uncompressed) members whose data
 * starts on a 64-byte boundary (the local header carries an "FB" extra field of 'Z' padding), sizes
 * and CRC in a data descriptor after the data, no timestamps, and a zip64 end-of-central-directory
 * record and locator always.
 */
export class ZipWriter {
  private offset = 0;
  private readonly entries: WrittenEntry[] = [];
  private readonly utf8 = new TextEncoder();

  private constructor(
    readonly path: string,
    private fd: number,
    private readonly options: ZipWriterOptions,
  ) {}

  static create(path: string, options: ZipWriterOptions = {}): ZipWriter {
    return new ZipWriter(path, openSync(path, "w"), options);
  }

  /** Adds a stored member made of `chunks`, in order. */
  add(name: string, chunks: readonly ArrayBufferView[]): void {
    const nameBytes = this.utf8.encode(name);
    const views = chunks.map((c) => new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
    const size = views.reduce((s, v) => s + v.byteLength, 0);
    let crc = 0;
    for (const v of views) crc = crc32(v, crc);
    const offset = this.offset;
    const big = this.zip64(size, offset);

    // miniz's zip64 local extra holds the sizes (when the size needs it) and the header offset (when
    // that needs it); torch's "FB" padding comes after it and is sized so the data lands aligned.
    const zip64Extra = big.any ? zip64Field(big.size ? [size, size] : [], big.offset ? [offset] : []) : EMPTY;
    const start = offset + 30 + nameBytes.length + zip64Extra.length + 4;
    const padding = (TORCH_ALIGNMENT - (start % TORCH_ALIGNMENT)) % TORCH_ALIGNMENT;
    const fb = new Uint8Array(4 + padding).fill(0x5a); // 'Z'
    fb.set([0x46, 0x42, padding & 0xff, padding >> 8]); // "FB", length

    const header = new DataView(new ArrayBuffer(30));
    header.setUint32(0, LOCAL_SIGNATURE, true);
    header.setUint16(4, big.any ? ZIP64_VERSION : 0, true);
    header.setUint16(6, FLAGS, true);
    // method 0 (stored), time and date 0, CRC and sizes 0: they follow in the data descriptor
    header.setUint16(26, nameBytes.length, true);
    header.setUint16(28, zip64Extra.length + fb.length, true);
    this.write(new Uint8Array(header.buffer), nameBytes, zip64Extra, fb, ...views);

    const descriptor = new DataView(new ArrayBuffer(big.any ? 24 : 16));
    descriptor.setUint32(0, DESCRIPTOR_SIGNATURE, true);
    descriptor.setUint32(4, crc, true);
    if (big.any) {
      descriptor.setBigUint64(8, BigInt(size), true);
      descriptor.setBigUint64(16, BigInt(size), true);
    } else {
      descriptor.setUint32(8, size, true);
      descriptor.setUint32(12, size, true);
    }
    this.write(new Uint8Array(descriptor.buffer));
    this.entries.push({ name: nameBytes, crc, size, offset });
  }

  /** Writes the central directory and end records, flushes to disk and closes the file. */
  finish(): void {
    const directoryStart = this.offset;
    for (const e of this.entries) {
      const big = this.zip64(e.size, e.offset);
      const extra = big.any
        ? zip64Field(big.size ? [e.size, e.size] : [], big.offset ? [e.offset] : [])
        : EMPTY;
      const h = new DataView(new ArrayBuffer(46));
      h.setUint32(0, CENTRAL_SIGNATURE, true);
      h.setUint16(4, 0, true); // version made by, as miniz leaves it
      h.setUint16(6, big.any ? ZIP64_VERSION : 0, true);
      h.setUint16(8, FLAGS, true);
      h.setUint32(16, e.crc, true);
      h.setUint32(20, big.size ? U32_MAX : e.size, true);
      h.setUint32(24, big.size ? U32_MAX : e.size, true);
      h.setUint16(28, e.name.length, true);
      h.setUint16(30, extra.length, true);
      h.setUint32(42, big.offset ? U32_MAX : e.offset, true);
      this.write(new Uint8Array(h.buffer), e.name, extra);
    }
    const directorySize = this.offset - directoryStart;
    const count = this.entries.length;

    const zip64End = new DataView(new ArrayBuffer(56));
    const zip64EndAt = this.offset;
    zip64End.setUint32(0, ZIP64_EOCD_SIGNATURE, true);
    zip64End.setBigUint64(4, 44n, true); // size of the rest of the record
    zip64End.setUint16(12, ZIP64_MADE_BY, true);
    zip64End.setUint16(14, ZIP64_VERSION, true);
    zip64End.setBigUint64(24, BigInt(count), true);
    zip64End.setBigUint64(32, BigInt(count), true);
    zip64End.setBigUint64(40, BigInt(directorySize), true);
    zip64End.setBigUint64(48, BigInt(directoryStart), true);
    const locator = new DataView(new ArrayBuffer(20));
    locator.setUint32(0, ZIP64_LOCATOR_SIGNATURE, true);
    locator.setBigUint64(8, BigInt(zip64EndAt), true);
    locator.setUint32(16, 1, true); // total number of disks
    const end = new DataView(new ArrayBuffer(22));
    end.setUint32(0, EOCD_SIGNATURE, true);
    end.setUint16(8, Math.min(count, 0xffff), true);
    end.setUint16(10, Math.min(count, 0xffff), true);
    end.setUint32(12, Math.min(directorySize, U32_MAX), true);
    end.setUint32(16, Math.min(directoryStart, U32_MAX), true);
    this.write(new Uint8Array(zip64End.buffer), new Uint8Array(locator.buffer), new Uint8Array(end.buffer));
    fsyncSync(this.fd);
    this.close();
  }

  /** Closes the file without finishing it (after an error; the caller removes it). */
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private zip64(size: number, offset: number): { size: boolean; offset: boolean; any: boolean } {
    const force = this.options.forceZip64 === true;
    const s = force || size >= U32_MAX;
    const o = force || offset >= U32_MAX;
    return { size: s, offset: o, any: s || o };
  }

  private write(...parts: Uint8Array[]): void {
    for (const p of parts) {
      let done = 0;
      while (done < p.length) done += writeSync(this.fd, p, done, p.length - done, this.offset + done);
      this.offset += p.length;
    }
  }
}

const EMPTY = new Uint8Array(0);

/** The zip64 extended-information extra field (id 1) holding `sizes` then `offsets` as u64. */
function zip64Field(sizes: number[], offsets: number[]): Uint8Array {
  const values = [...sizes, ...offsets];
  const v = new DataView(new ArrayBuffer(4 + 8 * values.length));
  v.setUint16(0, 1, true);
  v.setUint16(2, 8 * values.length, true);
  values.forEach((x, i) => v.setBigUint64(4 + 8 * i, BigInt(x), true));
  return new Uint8Array(v.buffer);
}
