"""safetensors reading/writing with numpy only (Debian has no python3-safetensors).

Understands the project's sparse layout (src/io/sparse_tensors.ts): a tensor W stored as `W.indices`
(I32 flat indices, ascending) + `W.values` (F32), with its shape in the header metadata under
`sparse:W`. `read` returns every tensor dense, so the baseline holds explicit zeros.
"""

import json
import os
import struct

import numpy as np

_DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64, "F16": np.float16}
_SPARSE_PREFIX = "sparse:"


def read(path):
    """Returns ({name: np.ndarray}, metadata dict). Sparse entries come back dense (zeros explicit)."""
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8 : 8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    base = 8 + n
    out = {}
    for name, h in header.items():
        begin, end = h["data_offsets"]
        arr = np.frombuffer(buf, dtype=_DTYPES[h["dtype"]], count=(end - begin) // np.dtype(_DTYPES[h["dtype"]]).itemsize, offset=base + begin)
        out[name] = arr.reshape(h["shape"]).copy()
    for key, shape_json in meta.items():
        if not key.startswith(_SPARSE_PREFIX):
            continue
        name = key[len(_SPARSE_PREFIX) :]
        shape = json.loads(shape_json)
        idx = out.pop(name + ".indices").astype(np.int64)
        val = out.pop(name + ".values")
        dense = np.zeros(int(np.prod(shape)), dtype=np.float32)
        dense[idx] = val
        out[name] = dense.reshape(shape)
    return out, meta


def write(path, tensors):
    """Writes {name: np.ndarray} (float32/float64/int32) atomically (temp file + rename)."""
    header = {}
    blobs = []
    offset = 0
    names = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64", np.dtype(np.int32): "I32"}
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        data = arr.tobytes()
        header[name] = {"dtype": names[arr.dtype], "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    js = json.dumps(header)
    js += " " * ((8 - (8 + len(js.encode())) % 8) % 8)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(js.encode())))
        f.write(js.encode())
        for b in blobs:
            f.write(b)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_json(path, obj):
    """Writes a JSON file atomically (temp file + rename)."""
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
