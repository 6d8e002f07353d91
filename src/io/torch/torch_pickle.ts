import { CspError } from "../../errors.js";
import { isPyCallable, unpickle, type PyCallable } from "./pickle.js";

/**
 * What torch.save's pickle of a state dict turns into here: the allowlist of the few globals such a
 * pickle needs (tensor rebuilders, storage type names, OrderedDict), and plain descriptions of tensors
 * and storages in place of the real objects. No tensor data is read at this stage.
 */

/** A torch storage class such as `torch.FloatStorage`; it only names a dtype, it is never called. */
export interface StorageType {
  readonly kind: "storage-type";
  readonly qualname: string;
  /** torch dtype name ("float32", "bfloat16", ...), or null for a storage class not known here. */
  readonly dtype: string | null;
  /** Bytes per element, or null when unknown. */
  readonly itemSize: number | null;
}

/** One storage: the zip member `<prefix>/data/<key>` holding `numel` elements of `type`. */
export interface StorageRef {
  readonly kind: "storage";
  readonly key: string;
  readonly type: StorageType;
  readonly numel: number;
  readonly location: string;
}

/** A tensor as torch describes it: a strided view (in elements) into a storage. */
export interface TensorRef {
  readonly kind: "tensor";
  readonly storage: StorageRef;
  readonly offset: number;
  readonly shape: number[];
  readonly stride: number[];
}

/** torch's legacy storage class names (what `_pickle_storage_type` writes) → dtype and element size. */
const STORAGE_DTYPES: Record<string, [string, number]> = {
  FloatStorage: ["float32", 4],
  HalfStorage: ["float16", 2],
  BFloat16Storage: ["bfloat16", 2],
  DoubleStorage: ["float64", 8],
  LongStorage: ["int64", 8],
  IntStorage: ["int32", 4],
  ShortStorage: ["int16", 2],
  CharStorage: ["int8", 1],
  ByteStorage: ["uint8", 1],
  BoolStorage: ["bool", 1],
  ComplexHalfStorage: ["complex32", 4],
  ComplexFloatStorage: ["complex64", 8],
  ComplexDoubleStorage: ["complex128", 16],
  QInt8Storage: ["qint8", 1],
  QUInt8Storage: ["quint8", 1],
  QInt32Storage: ["qint32", 4],
  QUInt4x2Storage: ["quint4x2", 1],
  QUInt2x4Storage: ["quint2x4", 1],
  UntypedStorage: ["uint8", 1],
};

function storageType(qualname: string, shortName: string): StorageType {
  const known = STORAGE_DTYPES[shortName];
  return { kind: "storage-type", qualname, dtype: known?.[0] ?? null, itemSize: known?.[1] ?? null };
}

export function isTensorRef(x: unknown): x is TensorRef {
  return typeof x === "object" && x !== null && (x as TensorRef).kind === "tensor";
}

function isStorageType(x: unknown): x is StorageType {
  return typeof x === "object" && x !== null && (x as StorageType).kind === "storage-type";
}

function isStorageRef(x: unknown): x is StorageRef {
  return typeof x === "object" && x !== null && (x as StorageRef).kind === "storage";
}

function isIndex(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

function isIndexTuple(x: unknown): x is number[] {
  return Array.isArray(x) && x.every(isIndex);
}

/** Reads a torch.save pickle; `source` names the file in errors. Returns the unpickled root object. */
export function unpickleTorch(bytes: Uint8Array, source: string): unknown {
  const fail = (problem: string): never => {
    throw new CspError(`${source}: ${problem}`);
  };
  const callable = (qualname: string, call: (args: readonly unknown[]) => unknown): PyCallable => ({
    qualname,
    call,
  });

  const rebuildTensor = (qualname: string) =>
    callable(qualname, (args) => {
      const [storage, offset, shape, stride] = args;
      if (!isStorageRef(storage)) return fail(`${qualname} called without a storage`);
      if (
        !isIndex(offset) ||
        !isIndexTuple(shape) ||
        !isIndexTuple(stride) ||
        shape.length !== stride.length
      ) {
        return fail(`${qualname} called with an invalid offset, size or stride`);
      }
      const t: TensorRef = { kind: "tensor", storage, offset, shape: [...shape], stride: [...stride] };
      return t;
    });
  const rebuildParameter = (qualname: string) =>
    callable(qualname, (args) =>
      isTensorRef(args[0]) ? args[0] : fail(`${qualname} called without a tensor`),
    );

  const allowed = new Map<string, unknown>([
    ["collections.OrderedDict", callable("collections.OrderedDict", (args) => orderedDict(args, fail))],
    ["torch._utils._rebuild_tensor", rebuildTensor("torch._utils._rebuild_tensor")],
    ["torch._utils._rebuild_tensor_v2", rebuildTensor("torch._utils._rebuild_tensor_v2")],
    ["torch._utils._rebuild_parameter", rebuildParameter("torch._utils._rebuild_parameter")],
    [
      "torch._utils._rebuild_parameter_with_state",
      rebuildParameter("torch._utils._rebuild_parameter_with_state"),
    ],
  ]);

  const storages = new Map<string, StorageRef>();
  return unpickle(bytes, {
    source,
    resolveGlobal(module, name) {
      const hit = allowed.get(`${module}.${name}`);
      if (hit !== undefined) return hit;
      // Storage classes are only type tags here (never called), so every torch.*Storage name is safe.
      if ((module === "torch" || module === "torch.storage") && /^[A-Za-z0-9_]+Storage$/.test(name)) {
        return storageType(`${module}.${name}`, name);
      }
      return undefined;
    },
    persistentLoad(pid) {
      // torch.save writes ('storage', storage_type, key, location, numel).
      if (!Array.isArray(pid) || pid[0] !== "storage" || pid.length !== 5) {
        return fail(
          `pickle has a persistent id that is not a torch storage (${String(Array.isArray(pid) ? pid[0] : pid)})`,
        );
      }
      const [, type, key, location, numel] = pid;
      if (
        !isStorageType(type) ||
        typeof key !== "string" ||
        typeof location !== "string" ||
        !isIndex(numel)
      ) {
        return fail(`pickle has a malformed storage reference`);
      }
      const seen = storages.get(key);
      if (seen) {
        if (seen.type.qualname !== type.qualname)
          fail(`storage ${key} is used both as ${seen.type.qualname} and ${type.qualname}`);
        return seen;
      }
      const ref: StorageRef = { kind: "storage", key, type, numel, location };
      storages.set(key, ref);
      return ref;
    },
    build(obj, state) {
      // model.state_dict() is an OrderedDict carrying `_metadata` (module versions): keep the dict, drop that.
      if (obj instanceof Map && (state instanceof Map || state === null)) return obj;
      return fail(
        `pickle sets state on a ${isPyCallable(obj) ? obj.qualname : typeof obj}, which a state dict never does`,
      );
    },
  });
}

function orderedDict(args: readonly unknown[], fail: (problem: string) => never): Map<unknown, unknown> {
  const d = new Map<unknown, unknown>();
  if (args.length === 0) return d;
  const items = args[0];
  if (args.length > 1 || !Array.isArray(items))
    return fail("collections.OrderedDict called with unexpected arguments");
  for (const pair of items) {
    if (!Array.isArray(pair) || pair.length !== 2)
      fail("collections.OrderedDict called with a malformed item");
    d.set(pair[0], pair[1]);
  }
  return d;
}
