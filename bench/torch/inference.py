"""PyTorch dense fp32 forward of the benchmark model (same weights file, same ids as our side).

Usage: /usr/bin/python3 bench/torch/inference.py SPEC.json  (spec: bench/common/specs.ts InferenceSpec)
"""

import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runtime  # noqa: E402
import st  # noqa: E402
from model import Config, forward, load_params  # noqa: E402


def main():
    spec = json.load(open(sys.argv[1]))
    runtime.setup(spec["threads"])
    t0 = time.perf_counter()
    cfg = Config(json.load(open(os.path.join(spec["modelDir"], "config.json"))))
    weights, _ = st.read(os.path.join(spec["modelDir"], "model.safetensors"))
    p = load_params(weights)
    del weights
    load_seconds = time.perf_counter() - t0
    inputs, _ = st.read(spec["inputs"])
    ids = torch.from_numpy(inputs["input_ids"].astype(np.int64))
    times, cpu_times = [], []
    with torch.inference_mode():
        for _ in range(spec["warmup"]):
            logits = forward(cfg, p, ids)
        for _ in range(spec["runs"]):
            t, c = time.perf_counter(), time.process_time()
            logits = forward(cfg, p, ids)
            times.append(time.perf_counter() - t)
            cpu_times.append(time.process_time() - c)
    if spec.get("logitsOut"):
        path = spec["logitsOut"]
        tmp = f"{path}.{os.getpid()}.tmp"
        logits.contiguous().numpy().astype("<f4").tofile(tmp)
        os.replace(tmp, path)
    st.write_json(
        spec["out"],
        {
            "impl": "torch-dense-fp32",
            "description": "bench/torch/model.py: dense fp32 weights (zeros explicit), F.linear via BLAS, torch.topk AbsTopK, manual sink attention",
            "loadSeconds": load_seconds,
            "times": times,
            "medianSeconds": float(np.median(times)) if times else float("nan"),
            "cpuTimes": cpu_times,
            "medianCpuSeconds": float(np.median(cpu_times)) if cpu_times else float("nan"),
            "peakRssBytes": runtime.peak_rss_bytes(),
            "runtime": runtime.info(),
        },
    )


if __name__ == "__main__":
    main()
