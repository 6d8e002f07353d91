"""Where do our logits and PyTorch's part ways? Compares our activations at every AbsTopK site (written
by `node dist/bench/child.js hooks`) with this baseline's, in forward order, and reports the first site
and position where the kept set or the values differ, with the baseline's gap between the k-th and
(k+1)-th largest |x| there. A gap at float32 resolution (~1e-7 relative) means a near-tie that either
side may break either way: the logits then differ downstream of it without either side being wrong.

Usage: /usr/bin/python3 bench/torch/diagnose.py SPEC.json   (spec: bench/common/specs.ts DiagnoseSpec)
"""

import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runtime  # noqa: E402
import st  # noqa: E402
from model import Config, forward, load_params  # noqa: E402


# hook name (without the layer) -> the afrac_loctypes entry that sparsifies it
SITE_LOCTYPE = {
    "attn.act_in": "attn_in",
    "attn.k": "attn_k",
    "attn.q": "attn_q",
    "attn.v": "attn_v",
    "attn.resid_delta": "attn_out",
    "mlp.act_in": "mlp_in",
    "mlp.post_act": "mlp_neuron",
    "mlp.resid_delta": "mlp_out",
}


def main():
    spec = json.load(open(sys.argv[1]))
    runtime.setup(spec["threads"])
    cfg = Config(json.load(open(os.path.join(spec["modelDir"], "config.json"))))
    weights, _ = st.read(os.path.join(spec["modelDir"], "model.safetensors"))
    p = load_params(weights)
    del weights
    ids = torch.from_numpy(st.read(spec["inputs"])[0]["input_ids"].astype(np.int64))
    ours, _ = st.read(spec["hooks"])
    trace = []
    with torch.inference_mode():
        forward(cfg, p, ids, trace)
    result = {"divergence": None, "sitesCompared": 0}
    for name, pre, post in trace:
        if name not in ours:
            continue
        result["sitesCompared"] += 1
        a = ours[name].reshape(-1, ours[name].shape[-1])
        b = post.reshape(-1, post.shape[-1]).numpy()
        scale = max(1.0, float(np.abs(b).max()))
        rows_value = np.nonzero(np.abs(a - b).max(axis=1) > 1e-4 * scale)[0]
        rows_kept = np.nonzero(((a != 0) != (b != 0)).any(axis=1))[0]
        rows = sorted(set(rows_value.tolist()) | set(rows_kept.tolist()))
        if not rows:
            continue
        r = rows[0]
        x = np.sort(np.abs(pre.reshape(-1, pre.shape[-1])[r].double().numpy()))[::-1]
        width = b.shape[-1]
        frac = cfg.afrac.get(SITE_LOCTYPE[name.split(".", 1)[1]])
        k = int(frac * width) if frac is not None else width
        gap = float((x[k - 1] - x[k]) / x[k - 1]) if 0 < k < width and x[k - 1] > 0 else None
        result["divergence"] = {
            "hook": name,
            "position": int(r),
            "positionsAffectedAtThisSite": len(rows),
            "keptSetDiffers": bool(r in set(rows_kept.tolist())),
            "k": k,
            "kthAbs": float(x[k - 1]) if 0 < k <= width else None,
            "nextAbs": float(x[k]) if 0 <= k < width else None,
            "relativeGap": gap,
        }
        break
    st.write_json(spec["out"], result)


if __name__ == "__main__":
    main()
