"""A minimal, faithful PyTorch forward of the circuit-sparsity GPT (spec reference.md A.3).

Written from the spec, not from the reference's gpt.py (which is not available here). Weights are a
plain dict {state-dict name: tensor} under the reference names, dense (zeros explicit): this is the
"PyTorch dense forward of the same weights" baseline, and, with requires_grad weights, the
dense-with-masks training baseline.

Operation order (A.3): tok = wte[idx]; additive or concatenated positions; per layer: RMSNorm (eps =
finfo(dtype).eps), optional concat of RMSNorm(wpe[0:T]) (cat-pos models), AbsTopK (torch.topk of |x|
over the whole last dim), c_attn, AbsTopK on k then q then v (all heads jointly), causal SDPA with an
optional sink (a virtual key with logit sink_logit[h], key 0, value 0), c_proj, AbsTopK, residual; MLP:
RMSNorm (+ concat), AbsTopK, c_fc, erf GELU, AbsTopK, c_proj, AbsTopK, residual; ln_f; lm_head +
final_logits_bias + bigram_table[current token].
"""

import math

import torch
import torch.nn.functional as F


LOCTYPES = (
    "attn_in",
    "attn_q",
    "attn_k",
    "attn_v",
    "attn_out",
    "mlp_in",
    "mlp_neuron",
    "mlp_out",
    "resid_post_attn",
    "resid_post_mlp",
)


class Config:
    """The GPTConfig fields the forward needs, read from a config.json dict (n_mlp alias accepted)."""

    def __init__(self, raw):
        c = dict(raw)
        if "n_mlp" in c:
            c["d_mlp"] = c.pop("n_mlp")
        self.n_layer = c["n_layer"]
        self.n_head = c["n_head"]
        self.d_model = c["d_model"]
        self.d_head = c.get("d_head") or self.d_model // self.n_head
        self.d_mlp = c.get("d_mlp") or 4 * self.d_model
        self.vocab = c["vocab_size"]
        self.block_size = c.get("block_size", 1024)
        self.d_pos = c.get("d_pos_emb")
        self.cat_pos = self.d_pos is not None
        self.sink = bool(c.get("sink", False))
        self.bigram = bool(c.get("enable_bigram_table", False))
        self.tied = bool(c.get("tied_unembed", True))
        self.bias = bool(c.get("bias", True))
        assert c.get("rms_norm", False), "baseline implements the RMSNorm models only"
        assert c.get("activation_type", "gelu") == "gelu"
        assert c.get("residual_activation_type", "identity") == "identity"
        afrac = c.get("afrac")
        locs = [s.strip() for s in c.get("afrac_loctypes", "attn_in,attn_out,mlp_in,mlp_out").split(",") if s.strip()]
        self.afrac = {loc: afrac for loc in locs} if afrac is not None else {}
        # nn.RMSNorm(eps=None): finfo(x.dtype).eps (1.19e-7 for fp32). A float64 replay of an fp32 run
        # may pin the fp32 value here, as the train-step fixture does.
        self.rms_eps = None


def abs_topk(x, frac):
    """AbsTopK over the last dim: keep the int(frac*D) entries of largest |x| with their sign."""
    if frac is None:
        return x
    k = int(frac * x.shape[-1])
    if k >= x.shape[-1]:
        return x
    _, idx = torch.topk(x.abs(), k, dim=-1, sorted=False)
    mask = torch.zeros_like(x, dtype=torch.bool).scatter_(-1, idx, True)
    return x * mask


def rms_norm(x, w, eps=None):
    eps = torch.finfo(x.dtype).eps if eps is None else eps
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def attention(q, k, v, n_head, sink_logit):
    """Causal attention; q, k, v [B, T, H*dh] -> y [B, T, H*dh]. The sink is an always-visible virtual
    key 0 with logit sink_logit[h] and value 0; masked scores get finfo(dtype).min (as SDPA)."""
    b, t, d = q.shape
    dh = d // n_head
    q = q.view(b, t, n_head, dh).transpose(1, 2)
    k = k.view(b, t, n_head, dh).transpose(1, 2)
    v = v.view(b, t, n_head, dh).transpose(1, 2)
    scores = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(dh))  # [B, H, T, T]
    causal = torch.ones(t, t, dtype=torch.bool, device=q.device).tril()
    scores = scores.masked_fill(~causal, torch.finfo(scores.dtype).min)
    if sink_logit is not None:
        sink_col = sink_logit.view(1, n_head, 1, 1).expand(b, n_head, t, 1).to(scores.dtype)
        probs = torch.softmax(torch.cat([sink_col, scores], dim=-1), dim=-1)[..., 1:]
    else:
        probs = torch.softmax(scores, dim=-1)
    y = probs @ v  # [B, H, T, dh]
    return y.transpose(1, 2).reshape(b, t, d)


def forward(cfg, p, idx, trace=None, node_fn=None):
    """logits [B, T, V] for token ids idx [B, T] (int64); p maps reference names to tensors.
    With a list `trace`, appends (hook name, input, output) at every AbsTopK site, named as the
    reference's hooks (i.attn.act_in, i.attn.k, i.attn.q, i.attn.v, i.attn.resid_delta, i.mlp.act_in,
    i.mlp.post_act, i.mlp.resid_delta). With `node_fn(name, x)`, the value at each of those sites (after
    its AbsTopK) and at final_resid (the residual before ln_f) is replaced by what it returns: the node
    interventions of pruning."""
    b, t = idx.shape
    x = F.embedding(idx, p["transformer.wte.weight"])
    pos = p["transformer.wpe.weight"][:t]
    if not cfg.cat_pos:
        x = x + pos

    def site(name, v, loc):
        out = abs_topk(v, cfg.afrac.get(loc))
        if trace is not None:
            trace.append((name, v, out))
        return node_fn(name, out) if node_fn is not None else out

    def sublayer_input(h_res, ln, ln_p):
        h = rms_norm(h_res, p[ln], cfg.rms_eps)
        if cfg.cat_pos:
            hp = rms_norm(pos, p[ln_p], cfg.rms_eps).unsqueeze(0).expand(b, t, cfg.d_pos)
            h = torch.cat([h, hp], dim=-1)
        return h

    d = cfg.n_head * cfg.d_head
    for i in range(cfg.n_layer):
        pre = f"transformer.h.{i}"
        bias = (lambda n: p.get(n)) if cfg.bias else (lambda n: None)
        h = site(f"{i}.attn.act_in", sublayer_input(x, f"{pre}.ln_1.weight", f"{pre}.ln_p1.weight"), "attn_in")
        qkv = F.linear(h, p[f"{pre}.attn.c_attn.weight"], bias(f"{pre}.attn.c_attn.bias"))
        q, k, v = qkv.split(d, dim=-1)
        k = site(f"{i}.attn.k", k, "attn_k")
        q = site(f"{i}.attn.q", q, "attn_q")
        v = site(f"{i}.attn.v", v, "attn_v")
        sink = p[f"{pre}.attn.attn_imp.sink_logit"] if cfg.sink else None
        y = attention(q, k, v, cfg.n_head, sink)
        o = F.linear(y, p[f"{pre}.attn.c_proj.weight"], bias(f"{pre}.attn.c_proj.bias"))
        x = abs_topk(x + site(f"{i}.attn.resid_delta", o, "attn_out"), cfg.afrac.get("resid_post_attn"))
        h = site(f"{i}.mlp.act_in", sublayer_input(x, f"{pre}.ln_2.weight", f"{pre}.ln_p2.weight"), "mlp_in")
        u = F.linear(h, p[f"{pre}.mlp.c_fc.weight"], bias(f"{pre}.mlp.c_fc.bias"))
        a = site(f"{i}.mlp.post_act", F.gelu(u), "mlp_neuron")
        m = F.linear(a, p[f"{pre}.mlp.c_proj.weight"], bias(f"{pre}.mlp.c_proj.bias"))
        x = abs_topk(x + site(f"{i}.mlp.resid_delta", m, "mlp_out"), cfg.afrac.get("resid_post_mlp"))
    if node_fn is not None:
        x = node_fn("final_resid", x)
    z = rms_norm(x, p["transformer.ln_f.weight"], cfg.rms_eps)
    unembed = p["transformer.wte.weight"] if cfg.tied else p["lm_head.weight"]
    logits = F.linear(z, unembed)
    if "final_logits_bias" in p:
        logits = logits + p["final_logits_bias"]
    if cfg.bigram:
        # padding_idx = V-1: the row still enters the forward, but gets no gradient; the reference's
        # float64 fixtures show exactly that for the last row (docs/model.md, "Bigram table gradient").
        logits = logits + F.embedding(idx, p["bigram_table"], padding_idx=cfg.vocab - 1)
    return logits


def load_params(tensors, dtype=torch.float32, requires_grad=False):
    """numpy arrays -> torch tensors (dense, zeros explicit)."""
    out = {}
    for name, arr in tensors.items():
        t = torch.from_numpy(arr).to(dtype)
        out[name] = t.requires_grad_(requires_grad) if t.is_floating_point() else t
    return out
