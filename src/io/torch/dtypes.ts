import { halfToFloat, type SafeDType } from "../safetensors.js";

/**
 * How each torch dtype we can read is stored on disk (the typed array the raw little-endian bytes are
 * read into) and what it becomes in memory, following StoredTensor's conventions: floats of 32 bits or
 * fewer widen to Float32Array, float64 stays Float64Array, integers become Int32Array (int64 only when
 * every value fits).
 */
export interface TorchDTypeCodec {
  /** The safetensors dtype that keeps the values exactly. */
  safeDType: SafeDType;
  itemSize: number;
  /** A typed array over raw storage bytes (the buffer is freshly allocated, so aligned). */
  rawView(buffer: ArrayBuffer, count: number): ArrayLike<number | bigint>;
  /** The in-memory array for n elements. */
  alloc(n: number): Float32Array | Float64Array | Int32Array;
  /** Converts one raw element; throws RangeError for int64 values outside int32. */
  convert(x: number | bigint): number;
  /** True when raw bytes already are the in-memory representation (read straight into the result). */
  direct: boolean;
}

let halfTable: Float32Array | null = null;
function halfToF32(bits: number): number {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  return halfTable[bits];
}

const bf16Scratch = new Uint32Array(1);
const bf16Float = new Float32Array(bf16Scratch.buffer);
function bf16ToF32(bits: number): number {
  bf16Scratch[0] = bits << 16;
  return bf16Float[0];
}

function int64ToInt32(x: number | bigint): number {
  const v = x as bigint;
  if (v > 2147483647n || v < -2147483648n) throw new RangeError(`int64 value ${v} does not fit in int32`);
  return Number(v);
}

const identity = (x: number | bigint): number => x as number;

export const TORCH_DTYPES: Record<string, TorchDTypeCodec> = {
  float32: {
    safeDType: "F32",
    itemSize: 4,
    rawView: (b, n) => new Float32Array(b, 0, n),
    alloc: (n) => new Float32Array(n),
    convert: identity,
    direct: true,
  },
  float64: {
    safeDType: "F64",
    itemSize: 8,
    rawView: (b, n) => new Float64Array(b, 0, n),
    alloc: (n) => new Float64Array(n),
    convert: identity,
    direct: true,
  },
  int32: {
    safeDType: "I32",
    itemSize: 4,
    rawView: (b, n) => new Int32Array(b, 0, n),
    alloc: (n) => new Int32Array(n),
    convert: identity,
    direct: true,
  },
  float16: {
    safeDType: "F16",
    itemSize: 2,
    rawView: (b, n) => new Uint16Array(b, 0, n),
    alloc: (n) => new Float32Array(n),
    convert: (x) => halfToF32(x as number),
    direct: false,
  },
  bfloat16: {
    safeDType: "BF16",
    itemSize: 2,
    rawView: (b, n) => new Uint16Array(b, 0, n),
    alloc: (n) => new Float32Array(n),
    convert: (x) => bf16ToF32(x as number),
    direct: false,
  },
  int64: {
    safeDType: "I64",
    itemSize: 8,
    rawView: (b, n) => new BigInt64Array(b, 0, n),
    alloc: (n) => new Int32Array(n),
    convert: int64ToInt32,
    direct: false,
  },
};
