"""PyTorch's mask-training step of pruning (the same step as src/prune/train_masks.ts), timed.

Node masks m = H(tau) at every node site (after its AbsTopK) and at final_resid, x -> m*x + (1-m)*mu
with mu the mean activation (mean ablation); the two-sided contrast loss at the last position; the
gradient reaches tau through the sigmoid-derivative surrogate (straight-through: H forward,
d sigmoid(tau/T)/d tau backward), plus k_coef * sum(m); global-norm clipping; torch.optim.AdamW; tau
clamped to [-1, 1]. Dense fp32 weights (zeros explicit) that need no gradient, autograd for the rest.

Usage: /usr/bin/python3 bench/torch/prune_step.py SPEC.json   (spec: bench/common/prune_specs.ts PruneStepSpec)
"""

import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runtime  # noqa: E402
import st  # noqa: E402
from model import Config, forward, load_params  # noqa: E402

SITES = ("attn.act_in", "attn.q", "attn.k", "attn.v", "attn.resid_delta", "mlp.act_in", "mlp.post_act", "mlp.resid_delta")


def main():
    spec = json.load(open(sys.argv[1]))
    runtime.setup(spec["threads"])
    mask_cfg = spec["mask"]
    cfg = Config(json.load(open(os.path.join(spec["modelDir"], "config.json"))))
    weights, _ = st.read(os.path.join(spec["modelDir"], "model.safetensors"))
    p = load_params(weights)
    del weights
    means = {k: torch.from_numpy(v) for k, v in st.read(spec["meansFile"])[0].items()}
    task, _ = st.read(spec["taskFile"])
    n_seq = 2 * spec["pairs"]
    lengths = task["lengths"][:n_seq]
    starts = np.concatenate([[0], np.cumsum(task["lengths"])])
    groups = {}
    for i in range(n_seq):
        groups.setdefault(int(lengths[i]), []).append(i)
    batches = []
    for t in sorted(groups):
        members = groups[t]
        ids = torch.from_numpy(np.stack([task["ids"][starts[i] : starts[i] + t] for i in members]).astype(np.int64))
        correct = torch.from_numpy(task["correct"][members].astype(np.int64))
        alt = torch.from_numpy(task["alt"][members].astype(np.int64))
        batches.append((ids, correct, alt))
    names = [f"{i}.{s}" for i in range(cfg.n_layer) for s in SITES] + ["final_resid"]
    widths = [means[n].numel() for n in names]
    offsets = np.concatenate([[0], np.cumsum(widths)]).tolist()
    n_nodes = offsets[-1]

    torch.manual_seed(0)
    tau = (mask_cfg["init_noise_bias"] + mask_cfg["init_noise_scale"] * torch.randn(n_nodes)).clamp(-1, 1)
    tau.requires_grad_(True)
    opt = torch.optim.AdamW(
        [tau],
        lr=mask_cfg["lr"],
        betas=(mask_cfg["beta1"], 1 - mask_cfg["inv_beta2"]),
        eps=mask_cfg["adam_eps"],
        weight_decay=mask_cfg["wd"],
    )
    temp = mask_cfg["heaviside_temp"]

    def masks():
        s = torch.sigmoid(tau / temp)
        # H + (s - s.detach()): exactly H forward (the parentheses keep 1 + s - s from rounding), d s/d tau backward.
        return (tau >= 0).to(s.dtype) + (s - s.detach())

    times, cpu_times, losses, kept = [], [], [], []
    for step in range(spec["warmup"] + spec["timed"]):
        t0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad()
        total_loss = 0.0
        for ids, correct, alt in batches:
            m = masks()
            by_site = {n: m[offsets[j] : offsets[j + 1]] for j, n in enumerate(names)}

            def node_fn(name, x):
                ms = by_site[name]
                return ms * x + (1 - ms) * means[name]

            logits = forward(cfg, p, ids, node_fn=node_fn)[:, -1, :]
            z = logits.gather(1, correct[:, None])[:, 0] - logits.gather(1, alt[:, None])[:, 0]
            loss = F.softplus(-z).sum() / n_seq
            loss.backward()
            total_loss += float(loss)
        m = masks()
        (mask_cfg["k_coef"] * m.sum()).backward()
        torch.nn.utils.clip_grad_norm_([tau], mask_cfg["grad_clip"])
        opt.step()
        with torch.no_grad():
            tau.clamp_(-1, 1)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if step >= spec["warmup"]:
            times.append(wall)
            cpu_times.append(cpu)
        losses.append(total_loss)
        kept.append(int((m.detach() >= 1).sum()))
        print(f"  torch mask step {step}: {wall:.2f} s, loss {total_loss:.4f}", file=sys.stderr, flush=True)
    st.write_json(
        spec["out"],
        {
            "impl": "torch",
            "description": "bench/torch/prune_step.py: dense fp32 weights without gradient, node masks at every site through autograd (straight-through sigmoid surrogate), torch.optim.AdamW on tau",
            "times": times,
            "medianSeconds": float(np.median(times)),
            "cpuTimes": cpu_times,
            "medianCpuSeconds": float(np.median(cpu_times)),
            "losses": losses,
            "kept": kept,
            "peakRssBytes": runtime.peak_rss_bytes(),
            "runtime": runtime.info(),
        },
    )


if __name__ == "__main__":
    main()
