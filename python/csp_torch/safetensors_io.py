"""safetensors with numpy only (the `safetensors` package is not needed).

Understands the project's sparse layout (src/io/sparse_tensors.ts, docs/interop.md "Sparse storage"): a
float tensor W of two or more dimensions with at most half of its entries nonzero is stored as
`W.indices` (I32, ascending flat indices) + `W.values` (F32), with its shape in the header metadata
under `sparse:W`. `read` returns every tensor dense.
"""

import json
import os
import struct

import numpy as np

_DTYPES = {
    "F32": np.float32,
    "F64": np.float64,
    "F16": np.float16,
    "I32": np.int32,
    "I64": np.int64,
}
_NAMES = {np.dtype(v): k for k, v in _DTYPES.items()}
SPARSE_PREFIX = "sparse:"
SPARSE_MAX_DENSITY = 0.5


class FileError(Exception):
    """A file we cannot use; the message names the file and the problem."""


def read(path):
    """({name: np.ndarray}, metadata) with sparse entries rebuilt dense."""
    try:
        with open(path, "rb") as f:
            buf = f.read()
    except OSError as e:
        raise FileError(f"{path}: cannot read ({e.strerror})") from None
    if len(buf) < 8:
        raise FileError(f"{path}: not a safetensors file ({len(buf)} bytes)")
    (n,) = struct.unpack("<Q", buf[:8])
    if n > len(buf) - 8:
        raise FileError(f"{path}: header length {n} exceeds the file")
    try:
        header = json.loads(buf[8 : 8 + n].decode("utf-8"))
    except ValueError:
        raise FileError(f"{path}: header is not JSON") from None
    meta = header.pop("__metadata__", None) or {}
    base = 8 + n
    out = {}
    for name, h in header.items():
        if h["dtype"] not in _DTYPES:
            raise FileError(f'{path}: tensor "{name}" has unsupported dtype {h["dtype"]}')
        dt = np.dtype(_DTYPES[h["dtype"]]).newbyteorder("<")
        begin, end = h["data_offsets"]
        if base + end > len(buf):
            raise FileError(f'{path}: tensor "{name}" runs past the end of the file')
        arr = np.frombuffer(buf, dtype=dt, count=(end - begin) // dt.itemsize, offset=base + begin)
        out[name] = arr.astype(dt.newbyteorder("="), copy=True).reshape(h["shape"])
    for key, shape_json in meta.items():
        if not key.startswith(SPARSE_PREFIX):
            continue
        name = key[len(SPARSE_PREFIX) :]
        shape = json.loads(shape_json)
        if name + ".indices" not in out or name + ".values" not in out:
            raise FileError(f'{path}: sparse tensor "{name}" needs both .indices and .values')
        idx = out.pop(name + ".indices").astype(np.int64)
        val = out.pop(name + ".values").astype(np.float32)
        dense = np.zeros(int(np.prod(shape)), dtype=np.float32)
        dense[idx] = val
        out[name] = dense.reshape(shape)
    return out, meta


def encode_sparse(tensors):
    """Our storage convention: returns (tensors, metadata) with mostly-zero F32 matrices as indices/values."""
    out = {}
    meta = {}
    for name, arr in tensors.items():
        flat = arr.reshape(-1)
        if arr.dtype != np.float32 or arr.ndim < 2:
            out[name] = arr
            continue
        nz = np.flatnonzero(flat)  # -0.0 counts as zero, as in TypeScript
        if len(nz) > SPARSE_MAX_DENSITY * flat.size:
            out[name] = arr
            continue
        out[name + ".indices"] = nz.astype(np.int32)
        out[name + ".values"] = flat[nz].astype(np.float32)
        meta[SPARSE_PREFIX + name] = json.dumps(list(arr.shape))
    return out, meta


def write(path, tensors, metadata=None):
    """Writes {name: np.ndarray} atomically (temp file + fsync + rename); metadata values are strings."""
    header = {}
    blobs = []
    offset = 0
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        if arr.dtype not in _NAMES:
            raise ValueError(f"{path}: cannot store dtype {arr.dtype} of {name}")
        data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _NAMES[arr.dtype], "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    js = json.dumps(header).encode("utf-8")
    js += b" " * ((8 - (8 + len(js)) % 8) % 8)
    write_atomic(path, [struct.pack("<Q", len(js)), js, *blobs])


def write_atomic(path, chunks):
    """Writes bytes chunks to a temporary sibling, fsyncs, and renames it over `path`."""
    d = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(d, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            for c in chunks:
                f.write(c)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_json(path, obj):
    write_atomic(path, [(json.dumps(obj, indent=2) + "\n").encode("utf-8")])
