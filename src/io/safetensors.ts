import { readFileSync } from "node:fs";
import { CspError } from "../errors.js";
import { writeFileAtomic } from "./atomic.js";
import { sizeOf, shapeString } from "../tensor/tensor.js";

/**
 * safetensors: 8-byte little-endian header length N, N bytes of JSON
 * {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}, then the data.
 * Floats are widened to Float32Array on read (F16/BF16/F64 converted); integers are read as Int32Array
 * (I64 values must fit in int32, which token ids and counts do) unless kept as BigInt64Array.
 */
export type SafeDType = "F32" | "F16" | "BF16" | "F64" | "I32" | "I64";

const BYTES: Record<SafeDType, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I32: 4, I64: 8 };

export interface StoredTensor {
  dtype: SafeDType;
  shape: number[];
  /** F32/F16/BF16 → Float32Array, F64 → Float64Array, I32/I64 → Int32Array. */
  data: Float32Array | Float64Array | Int32Array;
}

export type TensorMap = Map<string, StoredTensor>;

export interface SafetensorsFile {
  tensors: TensorMap;
  metadata: Record<string, string>;
}

export function readSafetensors(path: string): SafetensorsFile {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new CspError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseSafetensors(buf, path);
}

export function parseSafetensors(buf: Uint8Array, name = "<buffer>"): SafetensorsFile {
  const fail = (problem: string): never => {
    throw new CspError(`${name}: ${problem}`);
  };
  if (buf.length < 8) fail(`not a safetensors file (${buf.length} bytes, header length missing)`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(buf.length - 8)) {
    fail(
      `truncated or corrupt safetensors header (header says ${headerLen} bytes, file has ${buf.length - 8})`,
    );
  }
  const n = Number(headerLen);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(buf.subarray(8, 8 + n)));
  } catch {
    return fail("safetensors header is not valid JSON");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header))
    fail("safetensors header is not a JSON object");
  const dataStart = 8 + n;
  const dataLen = buf.length - dataStart;
  const tensors: TensorMap = new Map();
  let metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  for (const [key, raw] of Object.entries(header as Record<string, unknown>)) {
    if (key === "__metadata__") {
      metadata = raw as Record<string, string>;
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info !== "object" || info === null) fail(`tensor "${key}": header entry is not an object`);
    const dtype = info.dtype as SafeDType;
    if (typeof dtype !== "string" || !(dtype in BYTES))
      fail(`tensor "${key}": unsupported dtype ${JSON.stringify(info.dtype)}`);
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      fail(`tensor "${key}": invalid shape ${JSON.stringify(shape)}`);
    }
    const offs = info.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0)) {
      fail(`tensor "${key}": invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    const dims = shape as number[];
    const expected = sizeOf(dims) * BYTES[dtype];
    if (end < begin || end - begin !== expected) {
      fail(
        `tensor "${key}": data_offsets [${begin}, ${end}] hold ${end - begin} bytes, ${dtype} ${shapeString(dims)} needs ${expected}`,
      );
    }
    if (end > dataLen)
      fail(
        `tensor "${key}": data_offsets end ${end} is past the end of the data (${dataLen} bytes); file truncated?`,
      );
    spans.push([begin, end, key]);
    tensors.set(key, {
      dtype,
      shape: dims,
      data: decode(buf.subarray(dataStart + begin, dataStart + end), dtype),
    });
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i][0] < spans[i - 1][1] && spans[i][1] > spans[i][0]) {
      fail(`tensors "${spans[i - 1][2]}" and "${spans[i][2]}" overlap in the data section`);
    }
  }
  return { tensors, metadata };
}

function decode(bytes: Uint8Array, dtype: SafeDType): Float32Array | Float64Array | Int32Array {
  // Copy to an aligned buffer: header lengths need not keep the data 8-byte aligned.
  const b = new Uint8Array(bytes);
  const v = new DataView(b.buffer);
  switch (dtype) {
    case "F32":
      return new Float32Array(b.buffer);
    case "F64":
      return new Float64Array(b.buffer);
    case "I32":
      return new Int32Array(b.buffer);
    case "I64": {
      const out = new Int32Array(b.length / 8);
      for (let i = 0; i < out.length; i++) {
        const x = v.getBigInt64(i * 8, true);
        if (x > 2147483647n || x < -2147483648n) throw new Error(`I64 value ${x} does not fit in int32`);
        out[i] = Number(x);
      }
      return out;
    }
    case "F16": {
      const out = new Float32Array(b.length / 2);
      for (let i = 0; i < out.length; i++) out[i] = halfToFloat(v.getUint16(i * 2, true));
      return out;
    }
    case "BF16": {
      const out = new Float32Array(b.length / 2);
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < out.length; i++) u[i] = v.getUint16(i * 2, true) << 16;
      return out;
    }
  }
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

export function floatToHalf(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  e = half >> 10;
  return sign | half;
}

function encode(t: StoredTensor): Uint8Array {
  const n = t.data.length;
  const out = new Uint8Array(n * BYTES[t.dtype]);
  const v = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const x = t.data[i];
    switch (t.dtype) {
      case "F32":
        v.setFloat32(i * 4, x, true);
        break;
      case "F64":
        v.setFloat64(i * 8, x, true);
        break;
      case "I32":
        v.setInt32(i * 4, x, true);
        break;
      case "I64":
        v.setBigInt64(i * 8, BigInt(x), true);
        break;
      case "F16":
        v.setUint16(i * 2, floatToHalf(x), true);
        break;
      case "BF16": {
        // Round to nearest even on the upper 16 bits of the float32 pattern.
        const u = new Uint32Array(new Float32Array([x]).buffer)[0];
        const rounded = Number.isNaN(x) ? 0x7fc0 : (u + 0x7fff + ((u >>> 16) & 1)) >>> 16;
        v.setUint16(i * 2, rounded & 0xffff, true);
        break;
      }
    }
  }
  return out;
}

/** Serialises tensors (in the map's order) to safetensors bytes. */
export function serializeSafetensors(tensors: TensorMap, metadata?: Record<string, string>): Uint8Array[] {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (sizeOf(t.shape) !== t.data.length) {
      throw new Error(
        `tensor "${name}": shape ${shapeString(t.shape)} does not match ${t.data.length} values`,
      );
    }
    const bytes = encode(t);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
    blobs.push(bytes);
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data section starts 8-byte aligned.
  json += " ".repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, "utf8");
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  return [len, headerBytes, ...blobs];
}

/** Writes a safetensors file atomically. */
export function writeSafetensors(path: string, tensors: TensorMap, metadata?: Record<string, string>): void {
  writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}

export function f32(shape: number[], data: Float32Array): StoredTensor {
  return { dtype: "F32", shape, data };
}
