import { closeSync, openSync, readSync } from "node:fs";
import { endianness } from "node:os";
import { CspError } from "../../errors.js";
import type { StoredTensor } from "../safetensors.js";
import { TORCH_DTYPES } from "./dtypes.js";
import { gatherView, isContiguous, viewSize, viewSpan } from "./strided.js";
import { unpickleTorch, type TensorRef } from "./torch_pickle.js";
import { ZipReader } from "./zip.js";

/**
 * Any `torch.save` file (zip format, PyTorch ≥ 1.6): its pickle unpickled under the restricted
 * allowlist (tensors become {@link TensorRef}s), and tensor data read by offset on request. A state
 * dict is one such file (state_dict.ts); a visualiser's viz_data.pt is another. Close it when done.
 */
export class TorchArchive {
  private constructor(
    readonly path: string,
    private readonly zip: ZipReader,
    private readonly prefix: string,
    /** The unpickled object: dicts are Maps, tuples frozen arrays, tensors TensorRefs. */
    readonly root: unknown,
  ) {}

  static open(path: string): TorchArchive {
    if (endianness() !== "LE")
      throw new CspError(`${path}: reading torch checkpoints needs a little-endian machine`);
    refuseLegacyFormat(path);
    const zip = ZipReader.open(path);
    try {
      const prefix = findPrefix(zip);
      checkByteOrder(zip, prefix);
      const root = unpickleTorch(zip.readEntry(`${prefix}data.pkl`), path);
      return new TorchArchive(path, zip, prefix, root);
    } catch (e) {
      zip.close();
      throw e;
    }
  }

  /**
   * Reads one tensor into a contiguous row-major array (see TorchDTypeCodec for the conversions);
   * `name` says which tensor in errors.
   */
  readTensor(ref: TensorRef, name: string): StoredTensor {
    const fail = (problem: string): never => {
      throw new CspError(`${this.path}: tensor "${name}": ${problem}`);
    };
    const { storage } = ref;
    const codec = storage.type.dtype === null ? undefined : TORCH_DTYPES[storage.type.dtype];
    if (!codec) {
      return fail(
        `unsupported dtype ${storage.type.dtype ?? "?"} (${storage.type.qualname}); supported: ${Object.keys(TORCH_DTYPES).join(", ")}`,
      );
    }
    const member = `${this.prefix}data/${storage.key}`;
    const memberSize = this.zip.entry(member).size;
    if (memberSize !== storage.numel * codec.itemSize) {
      fail(
        `storage ${storage.key} has ${memberSize} bytes, the pickle says ${storage.numel} × ${codec.itemSize}`,
      );
    }
    const span = viewSpan(ref);
    if (span.count > 0 && span.first + span.count > storage.numel) {
      fail(
        `view (offset ${ref.offset}, size [${ref.shape}], stride [${ref.stride}]) runs past its storage of ${storage.numel} elements`,
      );
    }
    const n = viewSize(ref);
    const out = codec.alloc(n);
    if (codec.direct && isContiguous(ref)) {
      // The common case: the bytes on disk are the result; read them straight into place.
      this.zip.readInto(member, span.first * codec.itemSize, out);
    } else if (span.count > 0) {
      const raw = new ArrayBuffer(span.count * codec.itemSize);
      this.zip.readInto(member, span.first * codec.itemSize, new Uint8Array(raw));
      try {
        gatherView(codec.rawView(raw, span.count), span.first, ref, out, codec.convert);
      } catch (e) {
        if (e instanceof RangeError) fail(e.message);
        throw e;
      }
    }
    return { dtype: codec.safeDType, shape: [...ref.shape], data: out };
  }

  close(): void {
    this.zip.close();
  }
}

/** Pre-1.6 torch.save wrote a bare pickle stream (or a tar); say so instead of "not a zip". */
function refuseLegacyFormat(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new CspError(`${path}: cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const head = new Uint8Array(2);
  try {
    readSync(fd, head, 0, 2, 0);
  } finally {
    closeSync(fd);
  }
  if (head[0] === 0x80 && head[1] <= 5) {
    throw new CspError(
      `${path}: legacy (pre-PyTorch-1.6) torch.save format is not supported; re-save it with a current torch`,
    );
  }
}

/** torch names members `<archive>/data.pkl`, `<archive>/data/<key>`, where <archive> is free-form. */
function findPrefix(zip: ZipReader): string {
  const prefixes = [...zip.entries.keys()]
    .filter((n) => /^[^/]+\/data\.pkl$/.test(n))
    .map((n) => n.slice(0, -"data.pkl".length));
  if (prefixes.length === 0)
    throw new CspError(`${zip.path}: zip has no <archive>/data.pkl; not a torch.save checkpoint`);
  if (prefixes.length > 1)
    throw new CspError(`${zip.path}: zip holds several checkpoints (${prefixes.join(", ")})`);
  return prefixes[0];
}

function checkByteOrder(zip: ZipReader, prefix: string): void {
  const name = `${prefix}byteorder`;
  if (!zip.entries.has(name)) return; // older torch wrote no byteorder record; it was always little-endian
  const order = new TextDecoder().decode(zip.readEntry(name)).trim();
  if (order !== "little")
    throw new CspError(`${zip.path}: tensor data is ${order}-endian; only little-endian is supported`);
}
