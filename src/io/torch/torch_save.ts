import { rmSync } from "node:fs";
import { PickleWriter } from "./pickle_writer.js";
import { ZipWriter, type ZipWriterOptions } from "./zip_writer.js";

/** One float32 tensor of a state dict to save, row-major. */
export interface SaveTensor {
  name: string;
  shape: readonly number[];
  data: Float32Array;
  /**
   * The name of an earlier tensor whose storage this one shares (a tied weight, as
   * `model.state_dict()` gives for `lm_head.weight` tied to `transformer.wte.weight`); `data` is then
   * not written again and must equal that tensor's.
   */
  sharesStorageWith?: string;
}

/** Where each tensor lives: its storage key and element count. */
interface StorageSlot {
  key: string;
  numel: number;
}

/** The archive folder torch uses when saving to a buffer, and the released checkpoints use. */
export const TORCH_ARCHIVE_NAME = "archive";
/** torch's serialization format version record (caffe2 `kProducedFileFormatVersion`). */
const FORMAT_VERSION = "3\n";
// CPython pickles items of a dict in batches of this many (pickle._BATCHSIZE).
const PICKLE_BATCH = 1000;

function rowMajorStride(shape: readonly number[]): number[] {
  const stride = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    stride[i] = s;
    s *= shape[i];
  }
  return stride;
}

/**
 * The `data.pkl` that `torch.save(state_dict)` writes for these tensors, byte for byte as torch
 * pickles it at protocol 2: an `OrderedDict` whose values are `torch._utils._rebuild_tensor_v2(
 * storage, 0, size, stride, False, OrderedDict())` with each storage a persistent id
 * `('storage', torch.FloatStorage, key, 'cpu', numel)`.
 */
export function stateDictPickle(
  tensors: readonly SaveTensor[],
  slots: ReadonlyMap<string, StorageSlot>,
): Uint8Array {
  const p = new PickleWriter();
  p.global("collections", "OrderedDict");
  p.tuple(0);
  p.reduce();
  for (let at = 0; at < tensors.length; at += PICKLE_BATCH) {
    const batch = tensors.slice(at, at + PICKLE_BATCH);
    if (batch.length > 1) p.mark();
    for (const t of batch) {
      p.str(t.name);
      rebuildTensor(p, t, slots.get(t.name)!);
    }
    if (batch.length > 1) p.setitems();
    else p.setitem();
  }
  return p.finish();
}

function rebuildTensor(p: PickleWriter, t: SaveTensor, slot: StorageSlot): void {
  p.global("torch._utils", "_rebuild_tensor_v2");
  p.mark(); // the six arguments
  p.mark(); // the persistent id
  p.str("storage", "str:storage");
  p.global("torch", "FloatStorage");
  p.str(slot.key, `storage-key:${slot.key}`);
  p.str("cpu", "str:cpu");
  p.int(slot.numel);
  p.tuple(5);
  p.binpersid();
  p.int(0); // storage offset
  intTuple(p, t.shape);
  intTuple(p, rowMajorStride(t.shape));
  p.bool(false); // requires_grad
  p.global("collections", "OrderedDict"); // backward hooks: an empty OrderedDict
  p.tuple(0);
  p.reduce();
  p.tuple(6);
  p.reduce();
}

function intTuple(p: PickleWriter, values: readonly number[]): void {
  if (values.length > 3) p.mark();
  for (const v of values) p.int(v);
  p.tuple(values.length);
}

/**
 * Writes a float32 state dict as `torch.save(state_dict, f)` does (the zip format of PyTorch ≥ 1.6),
 * laid out like the released reference checkpoints: members `archive/data.pkl`, `archive/byteorder`,
 * `archive/data/<key>` (one storage per tensor, keys 0, 1, … in state-dict order) and
 * `archive/version`, all stored, with data 64-byte aligned. Loadable with
 * `torch.load(path, weights_only=True)`. Writes `path` directly: callers that need atomicity write
 * into a temporary name or directory. A partial file is removed on error.
 */
export function writeTorchStateDict(
  path: string,
  tensors: readonly SaveTensor[],
  options: ZipWriterOptions = {},
): void {
  const slots = new Map<string, StorageSlot>();
  const owners: SaveTensor[] = [];
  for (const t of tensors) {
    if (slots.has(t.name)) throw new Error(`state dict lists "${t.name}" twice`);
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel !== t.data.length)
      throw new Error(
        `tensor "${t.name}": shape [${t.shape.join(", ")}] does not hold ${t.data.length} values`,
      );
    if (t.sharesStorageWith !== undefined) {
      const shared = slots.get(t.sharesStorageWith);
      if (!shared || shared.numel !== numel)
        throw new Error(`tensor "${t.name}" cannot share the storage of "${t.sharesStorageWith}"`);
      slots.set(t.name, shared);
    } else {
      slots.set(t.name, { key: String(owners.length), numel });
      owners.push(t);
    }
  }
  const zip = ZipWriter.create(path, options);
  try {
    const prefix = `${TORCH_ARCHIVE_NAME}/`;
    zip.add(`${prefix}data.pkl`, [stateDictPickle(tensors, slots)]);
    zip.add(`${prefix}byteorder`, [new TextEncoder().encode("little")]);
    for (const t of owners) zip.add(`${prefix}data/${slots.get(t.name)!.key}`, [t.data]);
    zip.add(`${prefix}version`, [new TextEncoder().encode(FORMAT_VERSION)]);
    zip.finish();
  } catch (e) {
    zip.close();
    rmSync(path, { force: true });
    throw e;
  }
}
