import { CspError } from "../../errors.js";

/**
 * A restricted unpickler: it understands the data opcodes of pickle protocols 0-5 but never imports or
 * runs anything. GLOBAL / STACK_GLOBAL go through `resolveGlobal`, which hands out only the callables
 * the caller allows; anything else is refused with a CspError before a single call is made.
 *
 * Python values map to: str → string, int → number (bigint past 2^53), float → number, bool → boolean,
 * None → null, bytes → Uint8Array, list → array, tuple → frozen array, dict → Map, set → Set.
 */

/** A Python callable that the allowlist hands out; REDUCE / NEWOBJ call it with the pickled arguments. */
export interface PyCallable {
  /** `module.name`, for error messages. */
  readonly qualname: string;
  call(args: readonly unknown[]): unknown;
}

export interface UnpickleOptions {
  /** Names the file in error messages. */
  source: string;
  /** The value for `module.name`, or undefined to refuse it as a forbidden global. */
  resolveGlobal(module: string, name: string): unknown;
  /** Resolves a persistent id (BINPERSID / PERSID); torch uses it for tensor storages. */
  persistentLoad(pid: unknown): unknown;
  /** Applies BUILD's state to an object; return the object to keep. Default: BUILD is refused. */
  build?(obj: unknown, state: unknown): unknown;
}

const MARK = Symbol("mark");
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function isPyCallable(x: unknown): x is PyCallable {
  return (
    typeof x === "object" && x !== null && "qualname" in x && typeof (x as PyCallable).call === "function"
  );
}

/** A tuple is represented as a frozen array, so that APPEND on it fails like Python would. */
export function tuple(items: unknown[]): readonly unknown[] {
  return Object.freeze(items);
}

function describe(x: unknown): string {
  if (x === null) return "None";
  if (isPyCallable(x)) return x.qualname;
  if (Array.isArray(x)) return Object.isFrozen(x) ? "tuple" : "list";
  if (x instanceof Map) return "dict";
  return typeof x;
}

/** Unpickles `bytes` under the restrictions of `options`. */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): unknown {
  return new Unpickler(bytes, options).run();
}

class Unpickler {
  private pos = 0;
  private stack: unknown[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, unknown>();
  private readonly view: DataView;
  private readonly utf8 = new TextDecoder("utf-8", { fatal: true });
  private readonly latin1 = new TextDecoder("latin1");

  constructor(
    private readonly bytes: Uint8Array,
    private readonly options: UnpickleOptions,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private fail(problem: string): never {
    throw new CspError(`${this.options.source}: ${problem}`);
  }

  private need(n: number): number {
    if (n < 0 || this.pos + n > this.bytes.length) this.fail("pickle data is truncated");
    const at = this.pos;
    this.pos += n;
    return at;
  }
  private u8(): number {
    return this.bytes[this.need(1)];
  }
  private u16(): number {
    return this.view.getUint16(this.need(2), true);
  }
  private u32(): number {
    return this.view.getUint32(this.need(4), true);
  }
  private i32(): number {
    return this.view.getInt32(this.need(4), true);
  }
  private u64(): number {
    const x = this.view.getBigUint64(this.need(8), true);
    if (x > MAX_SAFE) this.fail(`pickle length ${x} is too large`);
    return Number(x);
  }
  private raw(n: number): Uint8Array {
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }
  private text(n: number): string {
    const bytes = this.raw(n);
    try {
      return this.utf8.decode(bytes);
    } catch {
      return this.fail("pickle holds a string that is not valid UTF-8");
    }
  }
  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) this.fail("pickle data is truncated (missing newline)");
    const s = this.latin1.decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }
  /** Two's-complement little-endian integer of n bytes (LONG1 / LONG4). */
  private long(n: number): number | bigint {
    const b = this.raw(n);
    let x = 0n;
    for (let i = n - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]);
    if (n > 0 && b[n - 1] & 0x80) x -= 1n << BigInt(8 * n);
    return x <= MAX_SAFE && x >= -MAX_SAFE ? Number(x) : x;
  }

  // A MARK is never a value: reaching one means the pickle reads across a mark (stack underflow).
  private pop(): unknown {
    const x = this.top();
    this.stack.pop();
    return x;
  }
  private top(): unknown {
    const x = this.stack[this.stack.length - 1];
    if (this.stack.length === 0 || x === MARK) this.fail("pickle stack underflow");
    return x;
  }
  /** Pops everything above the last MARK and the mark itself. */
  private popMark(): unknown[] {
    const at = this.marks.pop();
    if (at === undefined) this.fail("pickle MARK missing");
    const items = this.stack.splice(at);
    items.shift();
    return items;
  }
  private get(key: number): unknown {
    if (!this.memo.has(key)) this.fail(`pickle memo key ${key} is undefined`);
    return this.memo.get(key);
  }

  private global(module: string, name: string): unknown {
    const v = this.options.resolveGlobal(module, name);
    if (v === undefined) this.fail(`pickle refers to forbidden global ${module}.${name}`);
    return v;
  }
  private call(fn: unknown, args: unknown): unknown {
    if (!isPyCallable(fn)) this.fail(`pickle calls a ${describe(fn)}, which is not callable`);
    if (!Array.isArray(args)) this.fail(`pickle calls ${fn.qualname} with ${describe(args)} arguments`);
    return fn.call(args);
  }
  private dictOf(x: unknown, op: string): Map<unknown, unknown> {
    if (!(x instanceof Map)) this.fail(`pickle ${op} on a ${describe(x)}`);
    return x;
  }
  private listOf(x: unknown, op: string): unknown[] {
    if (!Array.isArray(x) || Object.isFrozen(x)) this.fail(`pickle ${op} on a ${describe(x)}`);
    return x;
  }
  private setItems(items: unknown[]): void {
    if (items.length % 2) this.fail("pickle SETITEMS with an odd number of items");
    const d = this.dictOf(this.top(), "SETITEMS");
    for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
  }

  run(): unknown {
    for (;;) {
      const op = this.u8();
      switch (op) {
        case 0x80: // PROTO
          if (this.u8() > 5) this.fail("pickle protocol is newer than 5");
          break;
        case 0x95: // FRAME: only a buffering hint
          this.u64();
          break;
        case 0x2e: // STOP
          return this.pop();
        case 0x28: // MARK
          this.marks.push(this.stack.length);
          this.stack.push(MARK);
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x30: // POP
          if (this.stack.length === this.marks[this.marks.length - 1] + 1) this.popMark();
          else this.pop();
          break;
        case 0x32: // DUP
          this.stack.push(this.top());
          break;

        case 0x4e: // NONE
          this.stack.push(null);
          break;
        case 0x88: // NEWTRUE
          this.stack.push(true);
          break;
        case 0x89: // NEWFALSE
          this.stack.push(false);
          break;
        case 0x4a: // BININT
          this.stack.push(this.i32());
          break;
        case 0x4b: // BININT1
          this.stack.push(this.u8());
          break;
        case 0x4d: // BININT2
          this.stack.push(this.u16());
          break;
        case 0x8a: // LONG1
          this.stack.push(this.long(this.u8()));
          break;
        case 0x8b: // LONG4
          this.stack.push(this.long(this.u32()));
          break;
        case 0x49: {
          // INT (text): "00"/"01" are protocol 0's False/True
          const s = this.line();
          if (s === "00" || s === "01") this.stack.push(s === "01");
          else this.stack.push(this.parseInt(s));
          break;
        }
        case 0x4c: // LONG (text)
          this.stack.push(this.parseInt(this.line().replace(/L$/, "")));
          break;
        case 0x47: // BINFLOAT: big-endian double
          this.stack.push(this.view.getFloat64(this.need(8), false));
          break;
        case 0x46: {
          // FLOAT (text)
          const x = Number(this.line());
          if (Number.isNaN(x)) this.fail("pickle holds a malformed FLOAT");
          this.stack.push(x);
          break;
        }

        case 0x58: // BINUNICODE
          this.stack.push(this.text(this.u32()));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.stack.push(this.text(this.u8()));
          break;
        case 0x8d: // BINUNICODE8
          this.stack.push(this.text(this.u64()));
          break;
        case 0x54: // BINSTRING (Python 2 str)
          this.stack.push(this.latin1.decode(this.raw(this.i32())));
          break;
        case 0x55: // SHORT_BINSTRING
          this.stack.push(this.latin1.decode(this.raw(this.u8())));
          break;
        case 0x42: // BINBYTES
          this.stack.push(this.raw(this.u32()).slice());
          break;
        case 0x43: // SHORT_BINBYTES
          this.stack.push(this.raw(this.u8()).slice());
          break;
        case 0x8e: // BINBYTES8
        case 0x96: // BYTEARRAY8
          this.stack.push(this.raw(this.u64()).slice());
          break;

        case 0x7d: // EMPTY_DICT
          this.stack.push(new Map());
          break;
        case 0x5d: // EMPTY_LIST
          this.stack.push([]);
          break;
        case 0x29: // EMPTY_TUPLE
          this.stack.push(tuple([]));
          break;
        case 0x8f: // EMPTY_SET
          this.stack.push(new Set());
          break;
        case 0x74: // TUPLE
          this.stack.push(tuple(this.popMark()));
          break;
        case 0x85: // TUPLE1
          this.stack.push(tuple([this.pop()]));
          break;
        case 0x86: {
          // TUPLE2
          const b = this.pop();
          this.stack.push(tuple([this.pop(), b]));
          break;
        }
        case 0x87: {
          // TUPLE3
          const c = this.pop();
          const b = this.pop();
          this.stack.push(tuple([this.pop(), b, c]));
          break;
        }
        case 0x6c: // LIST
          this.stack.push(this.popMark());
          break;
        case 0x64: {
          // DICT
          const items = this.popMark();
          this.stack.push(new Map());
          this.setItems(items);
          break;
        }
        case 0x91: // FROZENSET
          this.stack.push(new Set(this.popMark()));
          break;
        case 0x61: {
          // APPEND
          const v = this.pop();
          this.listOf(this.top(), "APPEND").push(v);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = this.popMark();
          this.listOf(this.top(), "APPENDS").push(...items);
          break;
        }
        case 0x73: {
          // SETITEM
          const v = this.pop();
          const k = this.pop();
          this.dictOf(this.top(), "SETITEM").set(k, v);
          break;
        }
        case 0x75: // SETITEMS
          this.setItems(this.popMark());
          break;
        case 0x90: {
          // ADDITEMS
          const items = this.popMark();
          const s = this.top();
          if (!(s instanceof Set)) this.fail(`pickle ADDITEMS on a ${describe(s)}`);
          for (const x of items) s.add(x);
          break;
        }

        case 0x71: // BINPUT
          this.memo.set(this.u8(), this.top());
          break;
        case 0x72: // LONG_BINPUT
          this.memo.set(this.u32(), this.top());
          break;
        case 0x70: // PUT (text)
          this.memo.set(this.parseIndex(this.line()), this.top());
          break;
        case 0x94: // MEMOIZE
          this.memo.set(this.memo.size, this.top());
          break;
        case 0x68: // BINGET
          this.stack.push(this.get(this.u8()));
          break;
        case 0x6a: // LONG_BINGET
          this.stack.push(this.get(this.u32()));
          break;
        case 0x67: // GET (text)
          this.stack.push(this.get(this.parseIndex(this.line())));
          break;

        case 0x63: {
          // GLOBAL "module\nname\n"
          const module = this.line();
          this.stack.push(this.global(module, this.line()));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== "string" || typeof name !== "string")
            this.fail("pickle STACK_GLOBAL without string names");
          this.stack.push(this.global(module, name));
          break;
        }
        case 0x52: {
          // REDUCE
          const args = this.pop();
          this.stack.push(this.call(this.pop(), args));
          break;
        }
        case 0x81: {
          // NEWOBJ: cls.__new__(cls, *args)
          const args = this.pop();
          this.stack.push(this.call(this.pop(), args));
          break;
        }
        case 0x92: {
          // NEWOBJ_EX
          const kwargs = this.pop();
          const args = this.pop();
          const cls = this.pop();
          if (!(kwargs instanceof Map) || kwargs.size > 0)
            this.fail("pickle NEWOBJ_EX with keyword arguments is not supported");
          this.stack.push(this.call(cls, args));
          break;
        }
        case 0x62: {
          // BUILD
          const state = this.pop();
          const obj = this.pop();
          if (!this.options.build) this.fail(`pickle BUILD on a ${describe(obj)} is not supported`);
          this.stack.push(this.options.build(obj, state));
          break;
        }
        case 0x51: // BINPERSID
          this.stack.push(this.options.persistentLoad(this.pop()));
          break;
        case 0x50: // PERSID (text)
          this.stack.push(this.options.persistentLoad(this.line()));
          break;

        default:
          // INST, OBJ, EXT1/2/4, buffers and unknown bytes: torch.save never writes them.
          this.fail(
            `pickle opcode 0x${op.toString(16).padStart(2, "0")} at byte ${this.pos - 1} is not supported`,
          );
      }
    }
  }

  private parseInt(s: string): number | bigint {
    if (!/^[+-]?\d+$/.test(s.trim())) this.fail(`pickle holds a malformed INT "${s}"`);
    const x = BigInt(s.trim());
    return x <= MAX_SAFE && x >= -MAX_SAFE ? Number(x) : x;
  }
  private parseIndex(s: string): number {
    const x = this.parseInt(s);
    if (typeof x !== "number" || x < 0) this.fail(`pickle memo index "${s}" is invalid`);
    return x;
  }
}
