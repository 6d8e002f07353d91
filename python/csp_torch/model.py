"""The circuit-sparsity GPT as a torch.nn.Module, under the reference's state-dict names (spec A.2),
running the reference's operation order (spec A.3), as src/model/gpt.ts does:

tok = wte[idx] (+ wpe[0:T] unless positions are concatenated); per layer: norm (+ concat of the
positional norm), AbsTopK, c_attn, AbsTopK on k, q, v (all heads jointly), causal attention with an
optional sink, c_proj, AbsTopK, residual (+ optional ReLU / AbsTopK); MLP: norm (+ concat), AbsTopK,
c_fc, erf GELU (or ReLU), AbsTopK, c_proj, AbsTopK, residual; ln_f; lm_head + final_logits_bias +
bigram_table[current token].
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# nn.RMSNorm(eps=None) means finfo(fp32).eps for the reference's fp32 weights; pinned so that a float64
# replay (tests) or a bf16 autocast run normalises exactly as the fp32 model does.
RMS_EPS = 1.1920928955078125e-07
LAYERNORM_EPS = 1e-5

_DEFAULTS = {
    "block_size": 1024,
    "vocab_size": 50304,
    "n_layer": 12,
    "n_head": 12,
    "d_head": None,
    "d_model": 768,
    "bias": True,
    "ln_bias": True,
    "rms_norm": False,
    "residual_activation_type": "identity",
    "activation_type": "gelu",
    "afrac": None,
    "afrac_loctypes": "attn_in,attn_out,mlp_in,mlp_out",
    "tied_unembed": True,
    "d_mlp": None,
    "enable_bigram_table": False,
    "learnable_bigram_table": False,
    "d_pos_emb": None,
    "sinusoidal_cat_pos_emb": False,
    "sink": False,
}


class GPTConfig:
    """The GPTConfig fields the model uses, from a config.json / beeg_config.json dict (unknown keys
    ignored, `n_mlp` accepted for d_mlp, missing keys take the reference defaults)."""

    def __init__(self, raw):
        c = dict(_DEFAULTS)
        c.update({k: v for k, v in raw.items() if k in _DEFAULTS})
        if "n_mlp" in raw and raw.get("d_mlp") is None:
            c["d_mlp"] = raw["n_mlp"]
        self.raw = c
        self.n_layer = c["n_layer"]
        self.n_head = c["n_head"]
        self.d_model = c["d_model"]
        self.d_head = c["d_head"] or self.d_model // self.n_head
        self.d_attn = self.n_head * self.d_head
        self.d_mlp = c["d_mlp"] or 4 * self.d_model
        self.vocab = c["vocab_size"]
        self.block_size = c["block_size"]
        self.d_pos = c["d_pos_emb"]
        self.cat_pos = self.d_pos is not None
        self.d_in = self.d_model + (self.d_pos or 0)
        self.bias = c["bias"]
        self.rms_norm = c["rms_norm"]
        self.ln_bias = c["ln_bias"] and not self.rms_norm
        self.gelu = c["activation_type"] == "gelu"
        self.resid_relu = c["residual_activation_type"] == "relu"
        self.tied = c["tied_unembed"]
        self.bigram = c["enable_bigram_table"]
        self.learnable_bigram = c["learnable_bigram_table"]
        self.sinusoidal = c["sinusoidal_cat_pos_emb"]
        self.sink = c["sink"]
        locs = [s.strip() for s in c["afrac_loctypes"].split(",") if s.strip()]
        self.afrac = {loc: c["afrac"] for loc in locs} if c["afrac"] is not None else {}


def abs_topk(x, frac):
    """AbsTopK over the last dim: keep the int(frac·D) entries of largest |x| (with their sign)."""
    if frac is None:
        return x
    k = int(frac * x.shape[-1])
    if k >= x.shape[-1]:
        return x
    idx = torch.topk(x.abs(), k, dim=-1, sorted=False).indices
    mask = torch.zeros_like(x, dtype=torch.bool).scatter_(-1, idx, True)
    return x * mask


class Norm(nn.Module):
    """RMSNorm (eps = fp32 machine epsilon) or the reference's LayerNorm (eps 1e-5, optional bias)."""

    def __init__(self, d, cfg):
        super().__init__()
        self.rms = cfg.rms_norm
        self.weight = nn.Parameter(torch.ones(d))
        self.bias = nn.Parameter(torch.zeros(d)) if cfg.ln_bias else None

    def forward(self, x):
        if self.rms:
            return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + RMS_EPS) * self.weight
        return F.layer_norm(x, x.shape[-1:], self.weight, self.bias, LAYERNORM_EPS)


class Sink(nn.Module):
    """attn_imp: holds the per-head sink logit (state-dict name attn.attn_imp.sink_logit)."""

    def __init__(self, n_head):
        super().__init__()
        self.sink_logit = nn.Parameter(torch.zeros(n_head))


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.c_attn = nn.Linear(cfg.d_in, 3 * cfg.d_attn, bias=cfg.bias)
        self.c_proj = nn.Linear(cfg.d_attn, cfg.d_model, bias=cfg.bias)
        if cfg.sink:
            self.attn_imp = Sink(cfg.n_head)

    def forward(self, h):
        cfg = self.cfg
        b, t, _ = h.shape
        q, k, v = self.c_attn(h).split(cfg.d_attn, dim=-1)
        k = abs_topk(k, cfg.afrac.get("attn_k"))
        q = abs_topk(q, cfg.afrac.get("attn_q"))
        v = abs_topk(v, cfg.afrac.get("attn_v"))
        heads = lambda x: x.view(b, t, cfg.n_head, cfg.d_head).transpose(1, 2)  # noqa: E731
        q, k, v = heads(q), heads(k), heads(v)
        scores = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(cfg.d_head))  # [B, H, T, T]
        causal = torch.ones(t, t, dtype=torch.bool, device=h.device).tril()
        scores = scores.masked_fill(~causal, torch.finfo(scores.dtype).min)
        if cfg.sink:
            # A virtual key 0 with logit sink_logit[h], key 0 and value 0, always visible.
            sink = self.attn_imp.sink_logit.view(1, cfg.n_head, 1, 1).expand(b, cfg.n_head, t, 1)
            probs = torch.softmax(torch.cat([sink.to(scores.dtype), scores], dim=-1), dim=-1)[..., 1:]
        else:
            probs = torch.softmax(scores, dim=-1)
        y = (probs @ v).transpose(1, 2).reshape(b, t, cfg.d_attn)
        return abs_topk(self.c_proj(y), cfg.afrac.get("attn_out"))


class Mlp(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.c_fc = nn.Linear(cfg.d_in, cfg.d_mlp, bias=cfg.bias)
        self.c_proj = nn.Linear(cfg.d_mlp, cfg.d_model, bias=cfg.bias)

    def forward(self, h):
        u = self.c_fc(h)
        a = F.gelu(u) if self.cfg.gelu else F.relu(u)
        a = abs_topk(a, self.cfg.afrac.get("mlp_neuron"))
        return abs_topk(self.c_proj(a), self.cfg.afrac.get("mlp_out"))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.ln_1 = Norm(cfg.d_model, cfg)
        if cfg.cat_pos:
            self.ln_p1 = Norm(cfg.d_pos, cfg)
        self.attn = Attention(cfg)
        self.ln_2 = Norm(cfg.d_model, cfg)
        if cfg.cat_pos:
            self.ln_p2 = Norm(cfg.d_pos, cfg)
        self.mlp = Mlp(cfg)

    def _input(self, x, norm, pos_norm, pos, loc):
        h = norm(x)
        if pos is not None:
            b, t, _ = x.shape
            h = torch.cat([h, pos_norm(pos).unsqueeze(0).expand(b, t, -1)], dim=-1)
        return abs_topk(h, self.cfg.afrac.get(loc))

    def _residual(self, x, loc):
        if self.cfg.resid_relu:
            x = F.relu(x)
        return abs_topk(x, self.cfg.afrac.get(loc))

    def forward(self, x, pos):
        x = self._residual(x + self.attn(self._input(x, self.ln_1, getattr(self, "ln_p1", None), pos, "attn_in")), "resid_post_attn")
        x = self._residual(x + self.mlp(self._input(x, self.ln_2, getattr(self, "ln_p2", None), pos, "mlp_in")), "resid_post_mlp")
        return x


class GPT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        v = cfg.vocab
        if cfg.bigram:
            table = torch.zeros(v, v)
            if cfg.learnable_bigram:
                self.bigram_table = nn.Parameter(table)
            else:
                self.register_buffer("bigram_table", table)
        self.register_buffer("final_logits_bias", torch.zeros(v))
        self.transformer = nn.ModuleDict(
            {
                "wte": nn.Embedding(v, cfg.d_model),
                "wpe": nn.Embedding(cfg.block_size, cfg.d_pos if cfg.cat_pos else cfg.d_model),
                "h": nn.ModuleList([Block(cfg) for _ in range(cfg.n_layer)]),
                "ln_f": Norm(cfg.d_model, cfg),
            }
        )
        # A sinusoidal cat-pos table is fixed; a learned one trains (the reference's freeze is a no-op).
        self.transformer.wpe.weight.requires_grad_(not cfg.sinusoidal)
        if not cfg.tied:
            self.lm_head = nn.Linear(cfg.d_model, v, bias=False)

    def forward(self, idx):
        """logits [B, T, V] for token ids idx [B, T] (int64)."""
        cfg = self.cfg
        t = idx.shape[1]
        x = self.transformer.wte(idx)
        pos = self.transformer.wpe.weight[:t]
        if not cfg.cat_pos:
            x = x + pos
        for block in self.transformer.h:
            x = block(x, pos if cfg.cat_pos else None)
        z = self.transformer.ln_f(x)
        unembed = self.transformer.wte.weight if cfg.tied else self.lm_head.weight
        logits = F.linear(z, unembed) + self.final_logits_bias
        if cfg.bigram:
            # padding_idx = V-1: that row enters the forward but gets no gradient, as in the reference's
            # float64 fixtures (src/model/blocks/final_norm_and_unembed.ts does the same).
            logits = logits + F.embedding(idx, self.bigram_table, padding_idx=cfg.vocab - 1)
        return logits


def next_token_loss(logits, idx):
    """Mean CE of positions 0..T-2 against the next token: CE(logits[:, :-1], idx[:, 1:])."""
    v = logits.shape[-1]
    if logits.dtype in (torch.float16, torch.bfloat16):
        logits = logits.float()
    return F.cross_entropy(logits[:, :-1].reshape(-1, v), idx[:, 1:].reshape(-1))


def load_state(model, tensors, source):
    """Copies {name: np.ndarray} into the model; every state-dict entry must be present with its shape."""
    sd = model.state_dict()
    for name, target in sd.items():
        if name not in tensors:
            raise ValueError(f'{source}: tensor "{name}" is missing')
        arr = tensors[name]
        if tuple(arr.shape) != tuple(target.shape):
            raise ValueError(f'{source}: tensor "{name}" has shape {list(arr.shape)}, expected {list(target.shape)}')
        with torch.no_grad():
            target.copy_(torch.from_numpy(arr))
