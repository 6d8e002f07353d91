"""PyTorch dense-with-masks training baseline: step timing and a whole run of the recipe.

Usage: /usr/bin/python3 bench/torch/train.py step|run SPEC.json
(specs: bench/common/specs.ts TrainStepSpec / TrainRunSpec; the same files our side reads)
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
from model import Config, load_params  # noqa: E402
from recipe import Learner, TrainConfig  # noqa: E402

DESCRIPTION = (
    "bench/torch/recipe.py: autograd forward/backward with dense weights, grad RMS normalisation, "
    "torch.optim.Adam(eps=0.1, foreach), torch.topk projection with min-alive, decoupled wd"
)


def load(spec, anneal=True):
    cfg = Config(json.load(open(os.path.join(spec["initDir"], "config.json"))))
    weights, _ = st.read(os.path.join(spec["initDir"], "model.safetensors"))
    raw = dict(spec["train"])
    if not anneal:
        raw["pfrac_anneal"] = False
    learner = Learner(cfg, load_params(weights), TrainConfig(raw))
    data, _ = st.read(spec["data"])
    train = torch.from_numpy(data["train"].astype(np.int64))
    val = torch.from_numpy(data["val"].astype(np.int64))
    return learner, train, val


def step_timing(spec):
    learner, batches, _ = load(spec, anneal=False)
    learner.project(learner.t.pfrac)
    times, cpu_times, losses = [], [], []
    for i in range(spec["warmup"] + spec["timed"]):
        t, c = time.perf_counter(), time.process_time()
        loss, _ = learner.step(batches[i % batches.shape[0]])
        s = time.perf_counter() - t
        cs = time.process_time() - c
        losses.append(loss)
        if i >= spec["warmup"]:
            times.append(s)
            cpu_times.append(cs)
        print(f"  torch step {i}: {s:.2f} s, loss {loss:.4f}", file=sys.stderr, flush=True)
    return {
        "times": times,
        "medianSeconds": float(np.median(times)),
        "cpuTimes": cpu_times,
        "medianCpuSeconds": float(np.median(cpu_times)),
        "losses": losses,
    }


def whole_run(spec):
    learner, batches, val = load(spec)
    S = learner.t.total_steps
    evals, losses = [], []
    train_s = 0.0
    train_cpu = 0.0
    eval_s = 0.0

    def evaluate(steps):
        nonlocal eval_s
        t = time.perf_counter()
        v = learner.eval_loss(val, spec["evalBatch"])
        eval_s += time.perf_counter() - t
        evals.append({"steps": steps, "trainSeconds": train_s, "trainCpuSeconds": train_cpu, "valLoss": v})
        print(f"  torch after {steps} steps: {train_s:.1f} s, val {v:.4f}", file=sys.stderr, flush=True)

    evaluate(0)
    for i in range(S + 1):
        t, c = time.perf_counter(), time.process_time()
        loss, _ = learner.step(batches[i])
        train_s += time.perf_counter() - t
        train_cpu += time.process_time() - c
        losses.append(loss)
        if i == S or (spec["evalEvery"] > 0 and (i + 1) % spec["evalEvery"] == 0):
            evaluate(i + 1)
    return {
        "evals": evals,
        "losses": losses,
        "totalTrainSeconds": train_s,
        "totalTrainCpuSeconds": train_cpu,
        "totalEvalSeconds": eval_s,
    }


def main():
    task, spec_path = sys.argv[1], sys.argv[2]
    spec = json.load(open(spec_path))
    runtime.setup(spec["threads"])
    result = step_timing(spec) if task == "step" else whole_run(spec)
    result.update(
        {
            "impl": "torch-dense-masks",
            "description": DESCRIPTION,
            "peakRssBytes": runtime.peak_rss_bytes(),
            "runtime": runtime.info(),
        }
    )
    st.write_json(spec["out"], result)


if __name__ == "__main__":
    main()
