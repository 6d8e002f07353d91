"""Logits (and optionally gradients) of a model directory, for parity checks against our engine:

    python -m csp_torch.logits JOBS.json

JOBS.json is a list of {"model": DIR, "ids": FILE, "out": FILE, "grads": bool}: DIR is one of ours
(config.json + model.safetensors) or a reference-format export (beeg_config.json + final_model.pt, read
with torch.load(weights_only=True)); FILE holds `input_ids` (I32 [B, T]) and, with grads, `targets`
(I32 [B, T], -1 = ignored). The out file gets `logits` (F32 [B, T, V]) and, with grads, `loss` and
`grad/<name>` of the mean cross-entropy over every non-ignored position. One process for all jobs, so
torch is imported once.
"""

import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

from . import safetensors_io as st
from .model import GPT, GPTConfig, load_state


def load_model_dir(d):
    """A GPT with the weights of one of our model directories or of a reference export."""
    if os.path.exists(os.path.join(d, "beeg_config.json")):
        with open(os.path.join(d, "beeg_config.json")) as f:
            raw = json.load(f)
        sd = torch.load(os.path.join(d, "final_model.pt"), map_location="cpu", weights_only=True)
        tensors = {k: v.detach().to(torch.float32).numpy() for k, v in sd.items()}
        source = os.path.join(d, "final_model.pt")
    else:
        with open(os.path.join(d, "config.json")) as f:
            raw = json.load(f)
        source = os.path.join(d, "model.safetensors")
        tensors, _ = st.read(source)
    cfg = GPTConfig({k: v for k, v in raw.items() if k != "train"})
    model = GPT(cfg)
    if "final_logits_bias" not in tensors:  # the reference's load_model inserts zeros
        tensors["final_logits_bias"] = np.zeros(cfg.vocab, dtype=np.float32)
    load_state(model, tensors, source)
    return model


def run_job(job):
    model = load_model_dir(job["model"])
    inputs, _ = st.read(job["ids"])
    ids = torch.from_numpy(inputs["input_ids"].astype(np.int64))
    out = {}
    if job.get("grads"):
        logits = model(ids)
        targets = torch.from_numpy(inputs["targets"].astype(np.int64))
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-1)
        loss.backward()
        out["loss"] = np.array([float(loss)], dtype=np.float32)
        for name, p in model.named_parameters():
            if p.grad is not None:
                out[f"grad/{name}"] = p.grad.numpy().astype(np.float32)
    else:
        with torch.no_grad():
            logits = model(ids)
    out["logits"] = logits.detach().numpy().astype(np.float32)
    st.write(job["out"], out)


def main():
    if len(sys.argv) != 2:
        print("usage: python -m csp_torch.logits JOBS.json", file=sys.stderr)
        sys.exit(2)
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    for job in jobs:
        try:
            run_job(job)
        except (OSError, ValueError, KeyError) as e:
            print(f"csp_torch: {job.get('model')}: {e}", file=sys.stderr)
            sys.exit(1)


if __name__ == "__main__":
    main()
