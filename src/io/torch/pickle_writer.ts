/**
 * Writes pickle opcodes the way CPython's pickler does at protocol 2, including its memo: every
 * memoisable object gets a BINPUT when first written and a BINGET when met again. Python memoises by
 * object identity, so the caller passes an identity for each object: the same identity for what is
 * the same Python object (a class, an interned string), a fresh one for a new object.
 */
export class PickleWriter {
  private readonly bytes: number[] = [];
  private readonly memo = new Map<unknown, number>();
  private readonly utf8 = new TextEncoder();

  constructor() {
    this.op(0x80, 2); // PROTO 2
  }

  /** Writes BINGET when `identity` was memoised before and returns true; otherwise returns false. */
  recall(identity: unknown): boolean {
    const at = this.memo.get(identity);
    if (at === undefined) return false;
    if (at < 256)
      this.op(0x68, at); // BINGET
    else this.op(0x6a, ...u32(at)); // LONG_BINGET
    return true;
  }

  /** Memoises the object on top of the stack (BINPUT / LONG_BINPUT), as the pickler does. */
  memoize(identity: unknown): void {
    const at = this.memo.size;
    this.memo.set(identity, at);
    if (at < 256)
      this.op(0x71, at); // BINPUT
    else this.op(0x72, ...u32(at)); // LONG_BINPUT
  }

  /** `module.name` (a class or function), memoised under its qualified name. */
  global(module: string, name: string): void {
    const id = `global:${module}.${name}`;
    if (this.recall(id)) return;
    this.op(0x63); // GLOBAL
    this.raw(this.utf8.encode(`${module}\n${name}\n`));
    this.memoize(id);
  }

  /** A str; `identity` names the Python object (strings are memoised like any object). */
  str(s: string, identity: unknown = Symbol()): void {
    if (this.recall(identity)) return;
    const b = this.utf8.encode(s);
    this.op(0x58, ...u32(b.length)); // BINUNICODE
    this.raw(b);
    this.memoize(identity);
  }

  /** An int, in the smallest opcode CPython picks (BININT1, BININT2, BININT, LONG1). */
  int(x: number): void {
    if (!Number.isSafeInteger(x)) throw new RangeError(`pickle int ${x} is not a safe integer`);
    if (x >= 0 && x <= 0xff) this.op(0x4b, x);
    else if (x >= 0 && x <= 0xffff) this.op(0x4d, x & 0xff, x >> 8);
    else if (x >= -0x80000000 && x <= 0x7fffffff) this.op(0x4a, ...u32(x >>> 0));
    else this.long1(BigInt(x));
  }

  bool(b: boolean): void {
    this.op(b ? 0x88 : 0x89); // NEWTRUE / NEWFALSE
  }

  mark(): void {
    this.op(0x28);
  }

  /**
   * Closes a tuple whose `n` items were just written (after a mark when n > 3), memoised under
   * `identity`; the empty tuple is a constant and is not memoised.
   */
  tuple(n: number, identity: unknown = Symbol()): void {
    if (n === 0) return this.op(0x29); // EMPTY_TUPLE
    if (n <= 3)
      this.op(0x84 + n); // TUPLE1..3
    else this.op(0x74); // TUPLE (after MARK)
    this.memoize(identity);
  }

  /** REDUCE (callable and argument tuple on the stack), memoising the result. */
  reduce(identity: unknown = Symbol()): void {
    this.op(0x52);
    this.memoize(identity);
  }

  binpersid(): void {
    this.op(0x51);
  }

  setitem(): void {
    this.op(0x73);
  }

  setitems(): void {
    this.op(0x75);
  }

  /** STOP, and the finished pickle. */
  finish(): Uint8Array {
    this.op(0x2e);
    return Uint8Array.from(this.bytes);
  }

  private long1(x: bigint): void {
    const out: number[] = [];
    let v = x;
    // Minimal two's-complement little-endian bytes, as CPython's encode_long.
    for (;;) {
      const byte = Number(v & 0xffn);
      out.push(byte);
      v >>= 8n;
      if ((v === 0n && (byte & 0x80) === 0) || (v === -1n && (byte & 0x80) !== 0)) break;
    }
    this.op(0x8a, out.length, ...out);
  }

  private op(...bytes: number[]): void {
    for (const b of bytes) this.bytes.push(b);
  }

  private raw(b: Uint8Array): void {
    for (const x of b) this.bytes.push(x);
  }
}

function u32(x: number): number[] {
  return [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, (x >>> 24) & 0xff];
}
