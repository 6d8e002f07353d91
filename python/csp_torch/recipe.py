"""The weight-sparse recipe, step for step as src/train/step.ts runs it (spec D.2):

lr_i (warmup, linear decay, × sqrt(pfrac / pfrac_i)); forward; CE(logits[:, :-1], toks[:, 1:]);
backward (DDP averages the gradients over the ranks); g ← g / (‖g‖/√N + eps) over all trained numbers;
Adam (ε after the bias correction of √v, t advances at lr 0 too); top-k projection at pfrac_i with
min-alive (exactly k kept, ties to the lower flat index, as our kernels); decoupled weight decay
p ← p − (wd·lr_i)·p on trained tensors with ≥ 2 dims except the bigram table.
"""

import math

import torch

SPARSE_PATH_MAX_DENSITY = 0.25  # src/model/sparse_weights.ts: matrices this sparse take the sparse kernels


class TrainConfig:
    """Our TrainConfig (src/train/train_config.ts): the `train` object of config.json."""

    def __init__(self, raw):
        self.raw = raw
        g = raw.get
        self.seed = g("seed", 0)
        self.data_seed = g("data_seed", 1)
        self.total_steps = raw["total_steps"]
        self.global_bs = raw["global_bs"]
        self.n_ctx = raw["n_ctx"]
        self.lr = raw["lr"]
        self.lr_warmup_frac = g("lr_warmup_frac", 0.01)
        self.lr_decay = g("lr_decay", True)
        self.pfrac = g("pfrac", 0.25)
        self.pfrac_anneal = g("pfrac_anneal", True)
        self.anneal_mode = g("pfrac_anneal_mode", "linear")
        self.exponent = g("pfrac_anneal_exponent", 1)
        self.start_frac = g("pfrac_anneal_start_frac", 0.01)
        self.stop_frac = g("pfrac_anneal_stop_frac", 0.5)
        self.ef = g("expansion_factor", 4)
        efm = g("expansion_factor_mlp")
        self.efm = self.ef if efm is None else efm
        initial = g("pfrac_anneal_initial", "max")
        self.p0 = self.ef**2 if initial == "max" else initial
        self.sharkfin = g("pfrac_anneal_schedule_lr_with_L0", True)
        self.min_alive = g("achyuta_mixed_neuronwise_v2", True)
        self.per_neuron = g("minimum_alive_per_neuron", 4)
        self.betas = tuple(g("adam_betas", [0.9, 0.95]))
        self.eps = g("adam_eps", 0.1)
        self.weight_decay = g("weight_decay", 0.1)
        self.gradclip = g("gradclip", True)
        self.grad_rms_eps = g("grad_rms_eps", 1e-5)
        self.sparse_biases = g("sparse_biases", False)
        self.weight_grad_mode = g("weight_grad_mode", "exact")
        self.dense_grad_every = g("dense_grad_every", 10)
        self.eval_every = g("eval_every", 50)
        self.eval_batches = g("eval_batches", 4)
        self.checkpoint_every = g("checkpoint_every", 100)

    # The schedules use the same floating-point operations in the same order as src/train/schedule.ts
    # (which follows train.py), so lr, pfrac, L0frac and k are bit-identical across the engines.

    def warmup(self):
        return 0 if self.lr_warmup_frac is None else int(self.lr_warmup_frac * self.total_steps)

    def pfrac_at(self, i):
        if not self.pfrac_anneal:
            return self.pfrac
        start = self.start_frac * self.total_steps
        stop = self.stop_frac * self.total_steps
        if self.anneal_mode == "power_law":
            logx0, logx1 = math.log10(start), math.log10(stop)
            logy0, logy1 = math.log10(self.p0), math.log10(self.pfrac)
            slope = (logy1 - logy0) / (logx1 - logx0)
            if i < start:
                return self.p0
            if i > stop:
                return self.pfrac
            return 10 ** (slope * (math.log10(i) - logx0) + logy0)
        progress = min(1, max(0, (i - start) / (stop - start)))
        frac = 1 - (1 - progress) ** self.exponent
        return self.p0 + (self.pfrac - self.p0) * frac

    def lr_at(self, i):
        w = self.warmup()
        s = self.total_steps
        lr = self.lr * min(1, 1 - (i - w) / (s - w)) if self.lr_decay else self.lr
        if self.lr_warmup_frac is not None and i < w:
            lr = (self.lr * i) / w
        if self.pfrac is None or not self.sharkfin:
            return lr
        return lr * (self.pfrac / self.pfrac_at(i)) ** 0.5

    def l0frac(self, rule, pf):
        if rule == "weight":
            frac = pf / (self.ef * self.efm)
        else:  # wte, lm_head (and pruned biases): the script's fixed embedding schedule
            final = self.pfrac
            adjusted = final + (self.ef - final) * ((pf - final) / (self.ef * self.efm - final))
            frac = adjusted / self.ef
        return min(frac, 1)


class PruneTarget:
    def __init__(self, name, rule, axis):
        self.name = name
        self.rule = rule
        self.axis = axis  # 0: neurons are rows, 1: columns, None: no min-alive


def sparsity_plan(model, c):
    """The tensors the projection touches (src/train/sparsity_plan.ts)."""
    if c.pfrac is None:
        return []
    plan = []
    for name, p in model.named_parameters():
        if not p.requires_grad or name == "bigram_table":
            continue
        if name == "transformer.wpe.weight" and model.cfg.cat_pos:
            continue
        if name.endswith(".bias"):
            if c.sparse_biases:
                plan.append(PruneTarget(name, "bias", None))
            continue
        if p.dim() < 2:
            continue
        rule = "embed" if name in ("transformer.wte.weight", "lm_head.weight") else "weight"
        axis = None
        if c.min_alive and c.per_neuron > 0:
            if name.endswith("attn.c_attn.weight") or name.endswith("mlp.c_fc.weight"):
                axis = 0
            elif name.endswith("attn.c_proj.weight") or name.endswith("mlp.c_proj.weight"):
                axis = 1
        plan.append(PruneTarget(name, rule, axis))
    return plan


def _first_k_descending(scores, k):
    """Indices of the k largest scores of a 1-D tensor, ties to the lower index (a stable sort)."""
    order = torch.sort(scores, descending=True, stable=True).indices
    return order[:k]


@torch.no_grad()
def project_topk_(w, k, axis=None, per_neuron=0):
    """Keep exactly min(k, numel) entries of w, zero the rest: each neuron's `per_neuron` largest |w|
    first (neurons along `axis`), then the largest |w| of the rest; ties to the lower flat index."""
    n = w.numel()
    if k >= n:
        return
    rows = w.shape[0]
    cols = n // rows
    flat = w.reshape(-1)
    score = flat.abs().double()
    keep = torch.zeros(n, dtype=torch.bool, device=w.device)
    forced = 0
    if axis is not None and per_neuron > 0:
        s = score.view(rows, cols) if axis == 0 else score.view(rows, cols).t()
        slots = min(per_neuron, s.shape[1])
        order = torch.sort(s, dim=1, descending=True, stable=True).indices[:, :slots]
        if axis == 0:
            flat_idx = order + torch.arange(rows, device=w.device).unsqueeze(1) * cols
        else:
            flat_idx = order * cols + torch.arange(cols, device=w.device).unsqueeze(1)
        keep[flat_idx.reshape(-1)] = True
        forced = s.shape[0] * slots
        if forced > k:
            raise ValueError(f"min-alive forces {forced} entries but only k = {k} may be kept")
    budget = k - forced
    if budget > 0:
        rest = score.masked_fill(keep, -1.0)
        keep[_first_k_descending(rest, budget)] = True
    flat.mul_(keep.to(flat.dtype))


class Optimizer:
    """Adam moments (dense) for the trained parameters, by name, and the step count."""

    def __init__(self, named_params):
        self.params = dict(named_params)
        self.m = {n: torch.zeros_like(p) for n, p in self.params.items()}
        self.v = {n: torch.zeros_like(p) for n, p in self.params.items()}
        self.step = 0

    @torch.no_grad()
    def update(self, lr, betas, eps):
        b1, b2 = betas
        t = self.step + 1
        step_size = lr / (1 - b1**t)
        bc2_sqrt = math.sqrt(1 - b2**t)
        for n, p in self.params.items():
            g = p.grad
            m, v = self.m[n], self.v[n]
            m.mul_(b1).add_(g, alpha=1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            p.addcdiv_(m, v.sqrt().div_(bc2_sqrt).add_(eps), value=-step_size)
        self.step += 1


class Learner:
    """A model (the bare module; `net` may be its DDP wrapper) with its optimizer and the recipe."""

    def __init__(self, model, c, net=None):
        self.model = model
        self.net = net if net is not None else model
        self.c = c
        self.trained = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        self.n_trained = sum(p.numel() for _, p in self.trained)
        self.plan = sparsity_plan(model, c)
        self.params = dict(model.named_parameters())
        self.decayed = [p for n, p in self.trained if p.dim() >= 2 and n != "bigram_table"]
        self.opt = Optimizer(self.trained)
        self.linear_weights = {n for n in self.params if n.endswith("c_attn.weight") or n.endswith("c_fc.weight") or n.endswith("c_proj.weight") or n == "lm_head.weight"}

    @torch.no_grad()
    def project(self, pf):
        for t in self.plan:
            w = self.params[t.name]
            k = int(self.c.l0frac(t.rule, pf) * w.numel())
            project_topk_(w if w.dim() >= 2 else w.view(1, -1), k, t.axis, self.c.per_neuron)

    def step(self, i, tokens, loss_fn):
        """One optimizer step on this rank's rows; returns (mean loss over all ranks, grad norm, lr, pfrac_i)."""
        c = self.c
        if self.opt.step != i:
            raise RuntimeError(f"optimizer has taken {self.opt.step} steps, asked for step {i}")
        lr = c.lr_at(i)
        pf = None if c.pfrac is None else c.pfrac_at(i)
        # Fast mode: the weight gradient of the sparse-path matrices only at their nonzeros, except on
        # refresh steps (then zeros may regrow); SDDMM computes exactly these entries of the dense product.
        masked = c.weight_grad_mode == "fast" and c.pfrac is not None and i % c.dense_grad_every != 0
        masks = {}
        if masked:
            for n in self.linear_weights:
                w = self.params[n]
                if w.requires_grad and (w != 0).sum().item() <= SPARSE_PATH_MAX_DENSITY * w.numel():
                    masks[n] = w != 0
        for _, p in self.trained:
            p.grad = None
        loss = loss_fn(self.net, tokens)
        loss.backward()
        with torch.no_grad():
            for n, mask in masks.items():
                self.params[n].grad.mul_(mask)
            grads = [p.grad for _, p in self.trained]
            norm = math.sqrt(sum(float(g.double().pow(2).sum()) for g in grads))
            if c.gradclip:
                divisor = norm / math.sqrt(self.n_trained) + c.grad_rms_eps
                for g in grads:
                    g.div_(divisor)
            self.opt.update(lr, c.betas, c.eps)
            if pf is not None:
                self.project(pf)
            factor = c.weight_decay * lr
            if factor != 0:
                for p in self.decayed:
                    p.sub_(p * factor)
        return loss.detach(), norm, lr, pf

    def pruned_nonzeros(self):
        nonzero = total = 0
        for t in self.plan:
            w = self.params[t.name]
            nonzero += int((w != 0).sum())
            total += w.numel()
        return nonzero, total
