"""The weight-sparse training recipe in PyTorch, dense weights with masks (spec D.2, and the order of
/work/shared/fixtures/train-step/README.md), written from the spec for the benchmark baseline:

  lr (warmup, linear decay) x sqrt(pfrac / pfrac_i); forward; CE(logits[:, :-1], toks[:, 1:]);
  backward; g <- g / (||g|| / sqrt(N) + eps) over all trained parameters; torch.optim.Adam (eps 0.1,
  no internal weight decay); magnitude top-k of every >= 2-D parameter except the bigram table and a
  concatenated wpe (min-alive: the 4 largest of every neuron forced in, for c_attn/c_fc rows and the
  c_proj columns); decoupled weight decay p <- p - (wd * lr_i) * p on >= 2-D parameters except the
  bigram table.

Gradients and Adam moments are dense, as in the reference: the masks are the zeros the projection
leaves in the weights.
"""

import math

import torch
import torch.nn.functional as F

from model import forward


class TrainConfig:
    """Hyperparameters under the official train.py names (the project's TrainConfig JSON)."""

    def __init__(self, raw):
        self.total_steps = raw["total_steps"]
        self.lr = raw["lr"]
        self.lr_warmup_frac = raw.get("lr_warmup_frac", 0.01)
        self.lr_decay = raw.get("lr_decay", True)
        self.pfrac = raw.get("pfrac")
        self.pfrac_anneal = raw.get("pfrac_anneal", True)
        assert raw.get("pfrac_anneal_mode", "linear") == "linear"
        self.exponent = raw.get("pfrac_anneal_exponent", 1)
        self.start_frac = raw.get("pfrac_anneal_start_frac", 0.01)
        self.stop_frac = raw.get("pfrac_anneal_stop_frac", 0.5)
        self.ef = raw.get("expansion_factor", 4)
        self.efm = raw.get("expansion_factor_mlp") or self.ef
        initial = raw.get("pfrac_anneal_initial", "max")
        self.p0 = self.ef**2 if initial == "max" else initial
        self.sharkfin = raw.get("pfrac_anneal_schedule_lr_with_L0", True)
        self.min_alive = raw.get("achyuta_mixed_neuronwise_v2", True)
        self.per_neuron = raw.get("minimum_alive_per_neuron", 4)
        self.betas = tuple(raw.get("adam_betas", (0.9, 0.95)))
        self.eps = raw.get("adam_eps", 0.1)
        self.wd = raw.get("weight_decay", 0.1)
        self.gradclip = raw.get("gradclip", True)
        self.grad_rms_eps = raw.get("grad_rms_eps", 1e-5)
        assert not raw.get("sparse_biases", False), "baseline keeps biases dense (as train.py)"

    def warmup(self):
        return 0 if self.lr_warmup_frac is None else int(self.lr_warmup_frac * self.total_steps)

    def pfrac_at(self, i):
        if not self.pfrac_anneal:
            return self.pfrac
        a = self.start_frac * self.total_steps
        b = self.stop_frac * self.total_steps
        prog = min(1.0, max(0.0, (i - a) / (b - a)))
        return self.p0 + (self.pfrac - self.p0) * (1 - (1 - prog) ** self.exponent)

    def lr_at(self, i):
        w = self.warmup()
        s = self.total_steps
        lr = self.lr * min(1, 1 - (i - w) / (s - w)) if self.lr_decay else self.lr
        if self.lr_warmup_frac is not None and i < w:
            lr = self.lr * i / w
        if self.pfrac is not None and self.sharkfin:
            lr = lr * (self.pfrac / self.pfrac_at(i)) ** 0.5
        return lr

    def l0frac(self, rule, pf):
        if rule == "weight":
            frac = pf / (self.ef * self.efm)
        else:  # wte / lm_head: the script's fixed embedding schedule
            adj = self.pfrac + (self.ef - self.pfrac) * ((pf - self.pfrac) / (self.ef * self.efm - self.pfrac))
            frac = adj / self.ef
        return min(frac, 1)


def sparsity_plan(cfg, names, shapes):
    """[(name, rule, neuron axis or None)] for the tensors apply_topk_ zeroes."""
    plan = []
    for name in names:
        if len(shapes[name]) < 2 or name == "bigram_table":
            continue
        if name == "transformer.wpe.weight" and cfg.cat_pos:
            continue
        rule = "embed" if name in ("transformer.wte.weight", "lm_head.weight") else "weight"
        axis = None
        if name.endswith("attn.c_attn.weight") or name.endswith("mlp.c_fc.weight"):
            axis = 0
        elif name.endswith("attn.c_proj.weight") or name.endswith("mlp.c_proj.weight"):
            axis = 1
        plan.append((name, rule, axis))
    return plan


@torch.no_grad()
def project_topk_(w, k, axis, per_neuron):
    """Zero all but the k largest |w| (the per_neuron largest of every neuron along `axis` forced in)."""
    score = w.abs()
    if axis is not None and per_neuron > 0:
        s = score if axis == 0 else score.t()
        forced = torch.topk(s, per_neuron, dim=1).indices
        s = s.scatter(1, forced, 1e10)
        score = s if axis == 0 else s.t()
    flat = score.reshape(-1)
    if k >= flat.numel():
        return
    keep = torch.topk(flat, k, sorted=False).indices
    mask = torch.zeros(flat.numel(), dtype=torch.bool)
    mask[keep] = True
    w.mul_(mask.view(w.shape))


class Learner:
    """Model parameters + Adam + the recipe. `trained` are every parameter except the buffers."""

    def __init__(self, cfg, params, train, buffers=("final_logits_bias",), threads_note=None):
        self.cfg = cfg
        self.p = params
        self.t = train
        self.trained = [n for n in params if n not in buffers]
        for n in params:
            params[n].requires_grad_(n in self.trained)
        self.n_params = sum(params[n].numel() for n in self.trained)
        shapes = {n: tuple(params[n].shape) for n in params}
        self.plan = sparsity_plan(cfg, self.trained, shapes) if train.pfrac is not None else []
        self.decayed = [n for n in self.trained if params[n].dim() >= 2 and n != "bigram_table"]
        self.opt = torch.optim.Adam(
            [params[n] for n in self.trained], lr=0.0, betas=train.betas, eps=train.eps, weight_decay=0.0, foreach=True
        )
        self.step_count = 0

    @torch.no_grad()
    def project(self, pf):
        ks = {}
        for name, rule, axis in self.plan:
            w = self.p[name]
            k = int(self.t.l0frac(rule, pf) * w.numel())
            project_topk_(w, k, axis if self.t.min_alive else None, self.t.per_neuron)
            ks[name] = k
        return ks

    def loss(self, tokens):
        logits = forward(self.cfg, self.p, tokens)
        v = logits.shape[-1]
        return F.cross_entropy(logits[:, :-1].reshape(-1, v), tokens[:, 1:].reshape(-1))

    def step(self, tokens):
        """One optimizer step of the official loop on tokens [B, T] (int64); returns (loss, grad norm)."""
        i = self.step_count
        lr = self.t.lr_at(i)
        pf = self.t.pfrac_at(i) if self.t.pfrac is not None else None
        for g in self.opt.param_groups:
            g["lr"] = lr
        self.opt.zero_grad(set_to_none=False)
        loss = self.loss(tokens)
        loss.backward()
        grads = [self.p[n].grad for n in self.trained]
        norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
        if self.t.gradclip:
            rms = norm / math.sqrt(self.n_params)
            torch._foreach_div_(grads, (rms + self.t.grad_rms_eps).item())
        self.opt.step()
        with torch.no_grad():
            if pf is not None:
                self.project(pf)
            c = self.t.wd * lr
            for n in self.decayed:
                w = self.p[n]
                w.sub_(c * w)
        self.step_count += 1
        return float(loss.detach()), float(norm)

    @torch.no_grad()
    def eval_loss(self, windows, batch):
        """Mean next-token CE over windows [N, T], every position but the last of each window."""
        total, count = 0.0, 0
        for s in range(0, windows.shape[0], batch):
            w = windows[s : s + batch]
            pred = w.shape[0] * (w.shape[1] - 1)
            total += float(self.loss(w)) * pred
            count += pred
        return total / count
