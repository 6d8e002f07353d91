import { spawnSync } from "node:child_process";

/**
 * Debian's python3 with python3-torch (scripts/ensure-torch.mjs installs it). Tests that check our
 * files against real torch run it and fail, not skip, when torch is missing.
 */
export const TORCH_PYTHON = "/usr/bin/python3";

/** Runs `script` (which prints one JSON document on stdout) with `args`; returns the parsed JSON. */
export function runTorchPython(script: string, args: readonly string[] = []): unknown {
  const r = spawnSync(TORCH_PYTHON, ["-c", script, ...args], {
    encoding: "utf8",
    maxBuffer: 256 << 20,
    timeout: 120_000,
  });
  if (r.error) throw new Error(`${TORCH_PYTHON}: ${r.error.message} (run scripts/ensure-torch.mjs)`);
  if (r.status !== 0)
    throw new Error(
      `${TORCH_PYTHON} exited ${r.status}: ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`,
    );
  return JSON.parse(r.stdout) as unknown;
}

/**
 * Python that describes torch.save files the way torch itself reads them: for each path, every tensor
 * of `torch.load(path, weights_only=True)` (dtype, shape, stride, raw bytes in base64, storage
 * pointer), the zip members (name, method, data offset) and the `data.pkl` that `torch.save` writes
 * for the loaded dict (base64).
 */
export const DESCRIBE_TORCH_FILES = String.raw`
import base64, collections, io, json, struct, sys, zipfile
import torch

def describe(path):
    sd = torch.load(path, weights_only=True)
    tensors = collections.OrderedDict()
    for k, v in sd.items():
        tensors[k] = {
            "dtype": str(v.dtype).replace("torch.", ""),
            "shape": list(v.shape),
            "stride": list(v.stride()),
            "bytes": base64.b64encode(v.contiguous().numpy().tobytes()).decode(),
            "storage": v.storage().data_ptr(),
        }
    members = []
    raw = open(path, "rb").read()
    with zipfile.ZipFile(path) as z:
        bad = z.testzip()
        for info in z.infolist():
            name_len, extra_len = struct.unpack_from("<HH", raw, info.header_offset + 26)
            members.append({
                "name": info.filename,
                "method": info.compress_type,
                "size": info.file_size,
                "data_offset": info.header_offset + 30 + name_len + extra_len,
            })
    buf = io.BytesIO()
    torch.save(sd, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        torch_pickle = z.read("archive/data.pkl")
    return {"type": type(sd).__name__, "tensors": tensors, "members": members, "testzip": bad,
            "torch_pickle": base64.b64encode(torch_pickle).decode()}

print(json.dumps({p: describe(p) for p in sys.argv[1:]}))
`;

export interface TorchTensorDescription {
  dtype: string;
  shape: number[];
  stride: number[];
  bytes: string;
  storage: number;
}

export interface TorchFileDescription {
  type: string;
  tensors: Record<string, TorchTensorDescription>;
  members: { name: string; method: number; size: number; data_offset: number }[];
  testzip: string | null;
  torch_pickle: string;
}

export function describeTorchFiles(paths: readonly string[]): Record<string, TorchFileDescription> {
  return runTorchPython(DESCRIBE_TORCH_FILES, paths) as Record<string, TorchFileDescription>;
}
