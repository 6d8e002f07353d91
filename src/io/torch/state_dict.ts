import { CspError } from "../../errors.js";
import type { StoredTensor, TensorMap } from "../safetensors.js";
import { isContiguous, viewSize } from "./strided.js";
import { TorchArchive } from "./torch_archive.js";
import { isTensorRef, type TensorRef } from "./torch_pickle.js";

/** What a tensor in a torch checkpoint is, known before its data is read. */
export interface TorchTensorInfo {
  shape: number[];
  /** torch dtype name ("float32", "bfloat16", ...), or null for a storage class not known here. */
  dtype: string | null;
  /** True when the tensor is a view that does not cover its storage in row-major order. */
  strided: boolean;
}

/**
 * A `torch.save` checkpoint (zip format, PyTorch ≥ 1.6) holding a flat `{name: tensor}` state dict.
 * Opening it parses only the zip directory and the pickle; `read(name)` then reads that one tensor's
 * bytes by offset, straight into its final array when the layout allows. Close it when done.
 */
export class TorchCheckpoint {
  private constructor(
    private readonly archive: TorchArchive,
    private readonly refs: Map<string, TensorRef>,
  ) {}

  get path(): string {
    return this.archive.path;
  }

  static open(path: string): TorchCheckpoint {
    const archive = TorchArchive.open(path);
    try {
      return new TorchCheckpoint(archive, flatStateDict(archive.root, path));
    } catch (e) {
      archive.close();
      throw e;
    }
  }

  /** Tensor names in the order the state dict lists them. */
  get names(): string[] {
    return [...this.refs.keys()];
  }

  info(name: string): TorchTensorInfo {
    const ref = this.ref(name);
    const full = ref.offset === 0 && viewSize(ref) === ref.storage.numel;
    return { shape: [...ref.shape], dtype: ref.storage.type.dtype, strided: !(full && isContiguous(ref)) };
  }

  /** Reads one tensor into a contiguous row-major array (see TorchDTypeCodec for the conversions). */
  read(name: string): StoredTensor {
    return this.archive.readTensor(this.ref(name), name);
  }

  close(): void {
    this.archive.close();
  }

  private ref(name: string): TensorRef {
    const ref = this.refs.get(name);
    if (!ref) throw new CspError(`${this.path}: no tensor "${name}"`);
    return ref;
  }
}

/** Reads every tensor of a torch.save'd state dict. */
export function readTorchStateDict(path: string): TensorMap {
  const ckpt = TorchCheckpoint.open(path);
  try {
    const out: TensorMap = new Map();
    for (const name of ckpt.names) out.set(name, ckpt.read(name));
    return out;
  } finally {
    ckpt.close();
  }
}

function flatStateDict(root: unknown, path: string): Map<string, TensorRef> {
  if (!(root instanceof Map))
    throw new CspError(`${path}: checkpoint does not hold a state dict (a dict of tensors)`);
  const refs = new Map<string, TensorRef>();
  for (const [k, v] of root) {
    if (typeof k !== "string") throw new CspError(`${path}: state dict has a non-string key ${String(k)}`);
    if (!isTensorRef(v)) {
      throw new CspError(
        `${path}: state dict entry "${k}" is not a tensor; expected a flat state dict (torch.save(model.state_dict()))`,
      );
    }
    refs.set(k, v);
  }
  return refs;
}
