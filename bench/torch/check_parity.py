"""Proof that the PyTorch baseline computes the reference's function and recipe.

Compares bench/torch/model.py and recipe.py, run in float64 (RMSNorm eps = finfo(float64).eps, as
nn.RMSNorm(eps=None) gives in float64; the train-step fixture pins the fp32 value), against the reference implementation's
own numbers in the shared fixtures:
  parity/<case>: logits, loss and every parameter gradient;
  train-step:    101 steps of the official loop: loss at every step, every parameter and zero pattern
                 at the recorded steps.
Usage: /usr/bin/python3 bench/torch/check_parity.py [FIXTURES_DIR]   (exit 1 on a mismatch)
"""

import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402
from model import Config, forward, load_params  # noqa: E402
from recipe import Learner, TrainConfig  # noqa: E402


def rel_max_error(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    den = np.abs(b).max()
    num = np.abs(a - b).max()
    return float(num / den) if den > 0 else float(num)


def check_forward(case_dir):
    raw = json.load(open(os.path.join(case_dir, "config.json")))
    cfg = Config(raw)
    weights, _ = st.read(os.path.join(case_dir, "model.safetensors"))
    expected, _ = st.read(os.path.join(case_dir, "expected.safetensors"))
    p = load_params(weights, torch.float64, requires_grad=True)
    ids = torch.from_numpy(expected["input_ids"].astype(np.int64))
    targets = torch.from_numpy(expected["targets"].astype(np.int64))
    logits = forward(cfg, p, ids)
    loss = F.cross_entropy(logits.reshape(-1, cfg.vocab), targets.reshape(-1), ignore_index=-1)
    loss.backward()
    worst_grad = 0.0
    worst_name = ""
    for key in expected:
        if key.startswith("grad/"):
            name = key[5:]
            g = p[name].grad
            err = rel_max_error(g.numpy() if g is not None else np.zeros_like(expected[key]), expected[key])
            if err > worst_grad:
                worst_grad, worst_name = err, name
    return {
        "logits_rel_max_error": rel_max_error(logits.detach().numpy(), expected["logits"]),
        "loss_abs_error": abs(float(loss) - float(expected["loss"][0])),
        "grad_rel_max_error": worst_grad,
        "worst_grad": worst_name,
    }


def check_train_step(fixture_dir):
    raw = json.load(open(os.path.join(fixture_dir, "config.json")))
    cfg = Config(raw)
    cfg.rms_eps = raw["train"]["rmsnorm_eps"]  # the fixture's float64 run pins the fp32 eps
    train = TrainConfig(raw["train"])
    init, _ = st.read(os.path.join(fixture_dir, "init.safetensors"))
    batch, _ = st.read(os.path.join(fixture_dir, "batch.safetensors"))
    steps, _ = st.read(os.path.join(fixture_dir, "steps.safetensors"))
    p = load_params(init, torch.float64)
    learner = Learner(cfg, p, train)
    tokens = torch.from_numpy(batch["tokens"].astype(np.int64))
    worst_loss = 0.0
    worst_param = 0.0
    worst_lr = 0.0
    mask_mismatches = 0
    for i in range(train.total_steps + 1):
        worst_lr = max(worst_lr, abs(train.lr_at(i) - float(steps[f"step{i}/lr"][0])))
        loss, _ = learner.step(tokens)
        ref = float(steps[f"step{i}/loss"][0])
        worst_loss = max(worst_loss, abs(loss - ref) / abs(ref))
        prefix = f"step{i}/param/"
        for key in [k for k in steps if k.startswith(prefix)]:
            name = key[len(prefix) :]
            ours = p[name].detach().numpy()
            worst_param = max(worst_param, rel_max_error(ours, steps[key]))
            mask_mismatches += int(((ours != 0) != (steps[key] != 0)).sum())
    return {
        "steps": train.total_steps + 1,
        "lr_abs_error": worst_lr,
        "loss_rel_max_error": worst_loss,
        "param_rel_max_error": worst_param,
        "zero_pattern_mismatches": mask_mismatches,
    }


def main():
    fixtures = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/fixtures"
    torch.set_num_threads(2)
    report = {"torch": torch.__version__}
    ok = True
    for case in ("sink-afrac", "dense-plain"):
        r = check_forward(os.path.join(fixtures, "parity", case))
        report[f"parity/{case}"] = r
        # expected.safetensors stores F32: its rounding (~6e-8 relative) is the floor here.
        ok &= r["logits_rel_max_error"] < 1e-6 and r["grad_rel_max_error"] < 1e-6
    r = check_train_step(os.path.join(fixtures, "train-step"))
    report["train-step"] = r
    ok &= r["zero_pattern_mismatches"] == 0 and r["param_rel_max_error"] < 1e-9 and r["loss_rel_max_error"] < 1e-9
    report["ok"] = bool(ok)
    print(json.dumps(report, indent=2))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
