import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { CspError } from "../../errors.js";

/** One member of a zip archive, as its central directory describes it. */
export interface ZipEntry {
  name: string;
  /** 0 = stored; anything else is compressed and cannot be read here. */
  method: number;
  compressedSize: number;
  size: number;
  /** Offset of the local file header; the data offset is found from that header on first read. */
  localHeaderOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const ZIP64_EXTRA_ID = 0x0001;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
// A single readSync is limited to 2 GiB; read big members in pieces.
const READ_CHUNK = 1 << 30;

/**
 * A zip archive read lazily through a file descriptor: only the central directory is parsed up front,
 * and member data is read by offset straight into caller-provided memory, so multi-gigabyte checkpoints
 * are never held twice. Only stored (uncompressed) members can be read, which is how torch.save writes.
 * Close it when done.
 */
export class ZipReader {
  readonly entries: ReadonlyMap<string, ZipEntry>;
  private readonly dataOffsets = new Map<string, number>();

  private constructor(
    readonly path: string,
    private fd: number,
    readonly fileSize: number,
    entries: Map<string, ZipEntry>,
  ) {
    this.entries = entries;
  }

  /** Opens `path` and parses its central directory; a damaged or truncated archive is a CspError. */
  static open(path: string): ZipReader {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (e) {
      throw new CspError(
        `${path}: cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
    try {
      const fileSize = fstatSync(fd).size;
      return new ZipReader(path, fd, fileSize, readCentralDirectory(fd, fileSize, path));
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** The entry called `name`, or a CspError saying it is missing. */
  entry(name: string): ZipEntry {
    const e = this.entries.get(name);
    if (!e) throw new CspError(`${this.path}: zip member "${name}" is missing`);
    return e;
  }

  /** The whole member as bytes (for small members such as the pickle). */
  readEntry(name: string): Uint8Array {
    const e = this.entry(name);
    const out = new Uint8Array(e.size);
    this.readInto(name, 0, out);
    return out;
  }

  /**
   * Copies `target.byteLength` bytes of member `name`, starting `start` bytes into it, into `target`.
   * Reading past the member's end is an error, not a short read.
   */
  readInto(name: string, start: number, target: ArrayBufferView): void {
    const e = this.entry(name);
    const length = target.byteLength;
    if (start < 0 || start + length > e.size) {
      throw new CspError(
        `${this.path}: zip member "${name}" has ${e.size} bytes, asked for bytes ${start}..${start + length}`,
      );
    }
    const base = this.dataOffset(e) + start;
    const bytes = new Uint8Array(target.buffer, target.byteOffset, length);
    let done = 0;
    while (done < length) {
      const want = Math.min(READ_CHUNK, length - done);
      const got = readSync(this.fd, bytes, done, want, base + done);
      if (got <= 0) throw new CspError(`${this.path}: file is truncated inside zip member "${name}"`);
      done += got;
    }
  }

  private dataOffset(e: ZipEntry): number {
    const cached = this.dataOffsets.get(e.name);
    if (cached !== undefined) return cached;
    if (e.method !== 0) {
      throw new CspError(
        `${this.path}: zip member "${e.name}" is compressed (method ${e.method}); only stored (uncompressed) members, as torch.save writes, are supported`,
      );
    }
    if (e.compressedSize !== e.size) {
      throw new CspError(
        `${this.path}: zip member "${e.name}" is stored but its sizes disagree (${e.compressedSize} vs ${e.size})`,
      );
    }
    const header = readExactly(this.fd, e.localHeaderOffset, 30, this.path, `local header of "${e.name}"`);
    const v = view(header);
    if (v.getUint32(0, true) !== LOCAL_SIGNATURE) {
      throw new CspError(
        `${this.path}: zip member "${e.name}" has no local header at offset ${e.localHeaderOffset}`,
      );
    }
    const start = e.localHeaderOffset + 30 + v.getUint16(26, true) + v.getUint16(28, true);
    if (start + e.size > this.fileSize) {
      throw new CspError(
        `${this.path}: file is truncated: zip member "${e.name}" ends past the end of the file`,
      );
    }
    this.dataOffsets.set(e.name, start);
    return start;
  }
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function readExactly(fd: number, position: number, length: number, path: string, what: string): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const got = readSync(fd, out, done, length - done, position + done);
    if (got <= 0) throw new CspError(`${path}: file is truncated (cannot read the ${what})`);
    done += got;
  }
  return out;
}

/** Converts a 64-bit little-endian field, refusing values past what a JS number holds exactly. */
function u64(v: DataView, at: number, path: string): number {
  const x = v.getBigUint64(at, true);
  if (x > BigInt(Number.MAX_SAFE_INTEGER)) throw new CspError(`${path}: zip64 field too large (${x})`);
  return Number(x);
}

function findEndOfCentralDirectory(
  fd: number,
  fileSize: number,
  path: string,
): { at: number; record: DataView } {
  const tailLength = Math.min(fileSize, EOCD_SIZE + MAX_COMMENT);
  const tailStart = fileSize - tailLength;
  const tail = readExactly(fd, tailStart, tailLength, path, "end of the zip");
  const v = view(tail);
  // Scan backwards: the record sits just before the (optional) archive comment.
  for (let i = tailLength - EOCD_SIZE; i >= 0; i--) {
    if (v.getUint32(i, true) === EOCD_SIGNATURE && i + EOCD_SIZE + v.getUint16(i + 20, true) <= tailLength) {
      return { at: tailStart + i, record: new DataView(tail.buffer, i, EOCD_SIZE) };
    }
  }
  throw new CspError(
    `${path}: not a zip archive or truncated (no end-of-central-directory record); torch.save checkpoints are zip files, re-download it`,
  );
}

interface DirectoryLocation {
  count: number;
  offset: number;
  size: number;
}

function locateCentralDirectory(fd: number, fileSize: number, path: string): DirectoryLocation {
  const { at, record } = findEndOfCentralDirectory(fd, fileSize, path);
  let count = record.getUint16(10, true);
  let size = record.getUint32(12, true);
  let offset = record.getUint32(16, true);
  const needsZip64 = count === 0xffff || size === 0xffffffff || offset === 0xffffffff;
  if (at >= 20) {
    const loc = view(readExactly(fd, at - 20, 20, path, "zip64 locator"));
    if (loc.getUint32(0, true) === ZIP64_LOCATOR_SIGNATURE) {
      const recordAt = u64(loc, 8, path);
      if (recordAt + 56 > at)
        throw new CspError(
          `${path}: file is truncated or damaged (zip64 end-of-central-directory offset ${recordAt} lies past its locator)`,
        );
      const z = view(readExactly(fd, recordAt, 56, path, "zip64 end-of-central-directory record"));
      if (z.getUint32(0, true) !== ZIP64_EOCD_SIGNATURE) {
        throw new CspError(
          `${path}: file is damaged (no zip64 end-of-central-directory record at offset ${recordAt})`,
        );
      }
      count = u64(z, 32, path);
      size = u64(z, 40, path);
      offset = u64(z, 48, path);
    } else if (needsZip64) {
      throw new CspError(
        `${path}: zip needs a zip64 end-of-central-directory record but has none; file damaged?`,
      );
    }
  }
  if (offset + size > fileSize) {
    throw new CspError(
      `${path}: file is truncated: the zip central directory (offset ${offset}, ${size} bytes) lies past the end of the file`,
    );
  }
  return { count, offset, size };
}

function readCentralDirectory(fd: number, fileSize: number, path: string): Map<string, ZipEntry> {
  const loc = locateCentralDirectory(fd, fileSize, path);
  const dir = readExactly(fd, loc.offset, loc.size, path, "zip central directory");
  const v = view(dir);
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder("utf-8");
  let p = 0;
  for (let i = 0; i < loc.count; i++) {
    if (p + 46 > dir.length || v.getUint32(p, true) !== CENTRAL_SIGNATURE) {
      throw new CspError(`${path}: zip central directory is damaged (entry ${i} of ${loc.count})`);
    }
    const flags = v.getUint16(p + 8, true);
    const method = v.getUint16(p + 10, true);
    let compressedSize = v.getUint32(p + 20, true);
    let size = v.getUint32(p + 24, true);
    const nameLength = v.getUint16(p + 28, true);
    const extraLength = v.getUint16(p + 30, true);
    const commentLength = v.getUint16(p + 32, true);
    let localHeaderOffset = v.getUint32(p + 42, true);
    const end = p + 46 + nameLength + extraLength + commentLength;
    if (end > dir.length)
      throw new CspError(`${path}: zip central directory is damaged (entry ${i} overruns it)`);
    const name = decoder.decode(dir.subarray(p + 46, p + 46 + nameLength));
    if (flags & 1) throw new CspError(`${path}: zip member "${name}" is encrypted`);
    // The zip64 extra field holds, in this order, only those fields whose 32-bit slot is saturated.
    let q = p + 46 + nameLength;
    const extraEnd = q + extraLength;
    while (q + 4 <= extraEnd) {
      const id = v.getUint16(q, true);
      const len = v.getUint16(q + 2, true);
      if (id === ZIP64_EXTRA_ID) {
        let f = q + 4;
        const next = (): number => {
          if (f + 8 > q + 4 + len) throw new CspError(`${path}: zip64 extra field of "${name}" is too short`);
          const x = u64(v, f, path);
          f += 8;
          return x;
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next();
      }
      q += 4 + len;
    }
    if (entries.has(name)) throw new CspError(`${path}: zip member "${name}" appears twice`);
    entries.set(name, { name, method, compressedSize, size, localHeaderOffset });
    p = end;
  }
  return entries;
}
