import type { CsrMatrix } from "./sparse.js";

/**
 * The element arrays of a tensor: Float32Array for the engine; the TypeScript backend also accepts
 * Float64Array so that backward passes can be checked against finite differences in double precision.
 */
export type FloatArray = Float32Array | Float64Array;

/**
 * A row-major tensor: a shape and its values in `data` (a {@link FloatArray}). Dense, with one exception:
 * a 2-D weight loaded from sparse storage ({@link Tensor.heldSparse}) is held only as CSR
 * ({@link Tensor.heldCsr}) until something reads `data` (also through `reshape`, `clone`, `zerosLike`),
 * which builds the dense array once and drops the CSR; from then on it is an ordinary dense tensor.
 * `shape`, `size` and `width` never build it. Code that only needs the values reads `data`; code that must not
 * build the dense copy (the sparse forward, hashing, sparse export) checks `heldCsr` first.
 */
export class Tensor<A extends FloatArray = FloatArray> {
  private dense: A | undefined;
  private held: CsrMatrix | undefined;
  private materialize: (() => A) | undefined;

  constructor(
    data: A,
    readonly shape: readonly number[],
  ) {
    const n = sizeOf(shape);
    if (n !== data.length) {
      throw new Error(`tensor shape [${shape.join(", ")}] needs ${n} values, got ${data.length}`);
    }
    this.dense = data;
  }

  /**
   * A 2-D tensor held only as CSR (a weight loaded from sparse storage): its dense data is built by
   * `materialize` on first access to `data`, so a model read only through its sparse forms never
   * allocates the dense matrices. `materialize` must return rows·cols values equal to the CSR's.
   */
  static heldSparse<A extends FloatArray>(csr: CsrMatrix, materialize: () => A): Tensor<A> {
    const t = Object.create(Tensor.prototype) as Tensor<A>;
    Object.assign(t, { shape: [csr.rows, csr.cols], dense: undefined, held: csr, materialize });
    return t;
  }

  /** The values, row-major. A tensor held sparse builds them here, once; from then on it is dense. */
  get data(): A {
    if (this.dense === undefined) {
      const data = this.materialize!();
      if (data.length !== sizeOf(this.shape))
        throw new Error(`tensor shape ${shapeString(this.shape)} needs ${sizeOf(this.shape)} values`);
      this.dense = data;
      this.held = undefined;
      this.materialize = undefined;
    }
    return this.dense;
  }

  /**
   * The CSR of a tensor held sparse whose dense data has never been built, else undefined. Writers
   * go through `data`, so while this is defined it is exactly the tensor's value.
   */
  get heldCsr(): CsrMatrix | undefined {
    return this.held;
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  /** The length of the last dimension. */
  get width(): number {
    return this.shape[this.shape.length - 1] ?? 1;
  }

  /** Same data viewed under another shape of equal size (no copy). */
  reshape(shape: readonly number[]): Tensor<A> {
    return new Tensor(this.data, shape);
  }

  clone(): Tensor<A> {
    return new Tensor(this.data.slice() as A, this.shape);
  }

  static zeros(shape: readonly number[], like?: FloatArray): Tensor {
    const n = sizeOf(shape);
    const data = like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
    return new Tensor(data, shape);
  }

  /** A zero tensor of the same array type as `t`, with the given shape (default: t's shape). */
  static zerosLike(t: Tensor, shape: readonly number[] = t.shape): Tensor {
    return Tensor.zeros(shape, t.data);
  }
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Allocates an array of the same float type as `like`. */
export function allocLike(like: FloatArray, n: number): FloatArray {
  return like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}
