"""Our run directory, as src/train/trainer.ts and checkpoint_state.ts write and read it:

config.json        the GPTConfig fields + "train": every hyperparameter, run, progress, identity
train_state.safetensors   param/<name> for every state-dict tensor, adam_m/<name> and adam_v/<name> for
                   every trained one, and JSON metadata "csp_train_state": {version, adamStep, nextStep,
                   tokens, elapsedS, loader, identity}. The commit point: written by one atomic rename.
model.safetensors  the weights in our sparse storage convention
metrics.jsonl      one JSON record per step
"""

import json
import os

import torch

from . import safetensors_io as st

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
TRAIN_STATE_FILE = "train_state.safetensors"
METRICS_FILE = "metrics.jsonl"
META_KEY = "csp_train_state"
FORMAT_VERSION = 1


def canonical(x):
    """JSON with sorted keys: equal settings compare equal whatever their key order (trainer.ts canonical)."""
    return json.dumps(x, sort_keys=True, separators=(",", ":"))


def read_config(run_dir):
    path = os.path.join(run_dir, CONFIG_FILE)
    try:
        with open(path) as f:
            raw = json.load(f)
    except OSError:
        raise ValueError(f"{path}: missing; prepare the run with `csp train --engine torch --prepare-only`") from None
    except ValueError:
        raise ValueError(f"{path}: not valid JSON") from None
    if not isinstance(raw.get("train"), dict) or "identity" not in raw["train"]:
        raise ValueError(f"{path}: holds no train settings (not a csp run directory)")
    return raw


def write_progress(run_dir, raw_config, progress, total_steps):
    train = dict(raw_config["train"])
    train["progress"] = {
        "steps_completed": progress["nextStep"],
        "steps_total": total_steps + 1,
        "tokens": progress["tokens"],
        "elapsed_s": progress["elapsedS"],
    }
    st.write_json(os.path.join(run_dir, CONFIG_FILE), {**raw_config, "train": train})


def read_train_state(path):
    """(tensors, progress, adam_step); a missing or foreign file is an error naming it."""
    if not os.path.exists(path):
        raise ValueError(f"{path}: no training state to resume from")
    tensors, meta = st.read(path)
    if META_KEY not in meta:
        raise ValueError(f"{path}: not a csp training state (no {META_KEY} metadata)")
    record = json.loads(meta[META_KEY])
    if record.get("version") != FORMAT_VERSION:
        raise ValueError(f"{path}: training-state format {record.get('version')} is not supported (expected {FORMAT_VERSION})")
    adam_step = record.pop("adamStep")
    record.pop("version")
    return tensors, record, adam_step


def restore(learner, tensors, adam_step, source):
    def take(key, into):
        arr = tensors.get(key)
        if arr is None or arr.size != into.numel():
            raise ValueError(f'{source}: tensor "{key}" is missing or has the wrong size')
        with torch.no_grad():
            into.copy_(torch.from_numpy(arr.reshape(tuple(into.shape))))

    for name, t in learner.model.state_dict(keep_vars=True).items():
        take(f"param/{name}", t)
    for name in learner.opt.m:
        take(f"adam_m/{name}", learner.opt.m[name])
        take(f"adam_v/{name}", learner.opt.v[name])
    learner.opt.step = adam_step


def _np(t):
    return t.detach().to("cpu", torch.float32).contiguous().numpy()


def save_train_state(path, learner, progress):
    tensors = {}
    for name, t in learner.model.state_dict().items():
        tensors[f"param/{name}"] = _np(t)
    for name in learner.opt.m:
        tensors[f"adam_m/{name}"] = _np(learner.opt.m[name])
        tensors[f"adam_v/{name}"] = _np(learner.opt.v[name])
    record = {"version": FORMAT_VERSION, "adamStep": learner.opt.step, **progress}
    st.write(path, tensors, {META_KEY: json.dumps(record)})


def save_weights(path, model):
    tensors, meta = st.encode_sparse({n: _np(t) for n, t in model.state_dict().items()})
    st.write(path, tensors, meta)


def read_metrics(path, before_step):
    out = []
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            try:
                rec = json.loads(line)
            except ValueError:
                continue  # a line torn by a crash: the state file is the source of truth
            if isinstance(rec.get("step"), int) and rec["step"] < before_step:
                out.append(rec)
    return out


def write_metrics(path, records):
    st.write_atomic(path, ["".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records).encode("utf-8")])
