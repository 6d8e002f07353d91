"""Train (or resume) a csp run directory with torch.distributed:

    torchrun --nproc_per_node N -m csp_torch.train --run RUN_DIR --data CORPUS_DIR

RUN_DIR is what `csp train --engine torch --prepare-only` (or any `csp train` run) leaves: config.json,
tokenizer/ and train_state.safetensors. CORPUS_DIR is the prepared corpus (train.bin, val.bin,
manifest.json) whose key the run's identity names. Each rank takes an equal slice of every global batch
(the same batch order as `csp train`); DistributedDataParallel averages the gradients, so the step is
the single-process step. Rank 0 writes the checkpoints. docs/scale-out.md.
"""

import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.distributed as dist

from . import checkpoint as ck
from .data import BatchLoader, read_prepared_corpus, validation_windows
from .model import GPT, GPTConfig, next_token_loss
from .recipe import Learner, TrainConfig


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m csp_torch.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--run", required=True, help="run directory (config.json + train_state.safetensors)")
    p.add_argument("--data", required=True, help="prepared corpus directory (train.bin, val.bin, manifest.json)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto", help="auto: CUDA when present")
    p.add_argument("--amp", choices=["none", "bf16", "fp16"], default="none", help="autocast on CUDA (default: fp32)")
    p.add_argument("--stop-after", type=int, default=None, help="stop after this many steps of this session (tests)")
    return p.parse_args(argv)


class Ranks:
    """This process's place in the job: torchrun's env, or a single process without it."""

    def __init__(self, device_kind):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
        cuda = device_kind == "cuda" or (device_kind == "auto" and torch.cuda.is_available())
        if cuda:
            torch.cuda.set_device(local)
            self.device = torch.device("cuda", local)
        else:
            self.device = torch.device("cpu")
        self.distributed = self.world > 1
        if self.distributed:
            dist.init_process_group("nccl" if cuda else "gloo")

    def mean(self, x):
        """The mean of a float over the ranks."""
        if not self.distributed:
            return float(x)
        t = torch.tensor([float(x)], dtype=torch.float64, device=self.device if self.device.type == "cuda" else "cpu")
        dist.all_reduce(t)
        return float(t) / self.world

    def sum(self, values):
        if not self.distributed:
            return values
        t = torch.tensor(values, dtype=torch.float64, device=self.device if self.device.type == "cuda" else "cpu")
        dist.all_reduce(t)
        return t.tolist()

    def close(self):
        """Ends a finished run. A distributed rank does not return: it exits here."""
        if not self.distributed:
            return
        # Every file is written (rank 0 writes, then every checkpoint ends in a barrier). Tearing the
        # gloo group down (destroy_process_group, or the group's destructor at interpreter exit) can
        # hang a rank forever once its peer has gone: seen with Debian's torch 1.13, a test-suite run
        # stuck on rank 0 with one thread spinning in the kernel after the last step (pytorch#75097
        # reports the same). So the ranks meet once more and leave without tearing it down; the
        # operating system closes the sockets.
        dist.barrier()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def fail(message):
    print(f"csp_torch: {message}", file=sys.stderr)
    sys.exit(1)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        run(args)
    except ValueError as e:
        fail(str(e))


def run(args):
    ranks = Ranks(args.device)
    raw = ck.read_config(args.run)
    cfg = GPTConfig({k: v for k, v in raw.items() if k != "train"})
    c = TrainConfig(raw["train"])
    identity = raw["train"]["identity"]
    if raw["train"].get("snapshot_every", 0) > 0 or "extension" in identity:
        raise ValueError(f"{args.run}: snapshots and run extensions (bridges) are not supported by the torch engine")
    if c.global_bs % ranks.world != 0:
        raise ValueError(f"global batch {c.global_bs} does not split over {ranks.world} processes; choose --nproc dividing it")
    train_ids, val_ids, manifest = read_prepared_corpus(args.data, cfg.vocab)
    corpus_key = (identity.get("data") or {}).get("corpus_key")
    if corpus_key is not None and manifest.get("key") != corpus_key:
        raise ValueError(f"{args.data}: prepared corpus {str(manifest.get('key'))[:16]} is not the run's ({corpus_key[:16]})")

    state_path = os.path.join(args.run, ck.TRAIN_STATE_FILE)
    tensors, progress, adam_step = ck.read_train_state(state_path)
    if ck.canonical(progress["identity"]) != ck.canonical(identity):
        raise ValueError(f"{state_path}: belongs to a run with other settings than {os.path.join(args.run, ck.CONFIG_FILE)}")

    model = GPT(cfg).to(ranks.device)
    learner = Learner(model, c)
    ck.restore(learner, tensors, adam_step, state_path)
    del tensors
    if ranks.distributed:
        # Every rank restored the same state; DDP averages the gradients of the rows each rank ran.
        ids = [ranks.device.index] if ranks.device.type == "cuda" else None
        learner.net = torch.nn.parallel.DistributedDataParallel(model, device_ids=ids, broadcast_buffers=False)

    loader = BatchLoader(train_ids, c.global_bs, c.n_ctx - 1, c.data_seed, state=progress["loader"])
    metrics_path = os.path.join(args.run, ck.METRICS_FILE)
    metrics = ck.read_metrics(metrics_path, progress["nextStep"])
    val = validation_windows(val_ids, c.n_ctx - 1, c.eval_batches * c.global_bs)
    rows = c.global_bs // ranks.world
    amp = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(args.amp) if ranks.device.type == "cuda" else None

    def loss_fn(net_, toks):
        with torch.autocast("cuda", dtype=amp, enabled=amp is not None):
            return next_token_loss(net_(toks), toks)

    def validation_loss():
        total = count = 0.0
        with torch.no_grad():
            for s in range(ranks.rank * rows, len(val), c.global_bs):
                w = torch.from_numpy(val[s : s + rows]).to(ranks.device)
                n = w.shape[0] * (w.shape[1] - 1)
                total += float(loss_fn(model, w)) * n
                count += n
        total, count = ranks.sum([total, count])
        return total / count

    def checkpoint():
        if ranks.rank == 0:
            ck.write_metrics(metrics_path, metrics)
            ck.save_train_state(state_path, learner, progress)
            ck.save_weights(os.path.join(args.run, ck.WEIGHTS_FILE), model)
            ck.write_progress(args.run, raw, progress, c.total_steps)
        if ranks.distributed:
            dist.barrier()

    # Without annealing, the projection before step 0 was made when the run was prepared (as trainer.ts).
    start = progress["nextStep"]
    session_start = time.time()
    elapsed_before = progress["elapsedS"]
    steps_run = 0
    for i in range(start, c.total_steps + 1):
        batch = loader.next()
        toks = torch.from_numpy(batch[ranks.rank * rows : (ranks.rank + 1) * rows]).to(ranks.device)
        loss, grad_norm, lr, pf = learner.step(i, toks, loss_fn)
        loss = ranks.mean(loss)
        if not np.isfinite(loss):
            raise ValueError(f"training diverged at step {i} (loss {loss}); lower --lr or check the data")
        steps_run += 1
        nonzero, total = learner.pruned_nonzeros()
        tokens = progress["tokens"] + batch.shape[0] * (batch.shape[1] - 1)
        record = {
            "step": i,
            "lr": lr,
            "pfrac": pf,
            "loss": loss,
            "grad_norm": grad_norm,
            "nonzero": nonzero,
            "prunable": total,
            "tokens": tokens,
            "elapsed_s": elapsed_before + (time.time() - session_start),
        }
        if c.eval_every > 0 and ((i + 1) % c.eval_every == 0 or i == c.total_steps):
            record["val_loss"] = validation_loss()
        metrics.append(record)
        progress = {**progress, "nextStep": i + 1, "tokens": tokens, "elapsedS": record["elapsed_s"], "loader": loader.state()}
        if ranks.rank == 0 and (i % 10 == 0 or i == c.total_steps):
            print(f"step {i}/{c.total_steps} loss {loss:.4f} nonzero {nonzero}/{total}", file=sys.stderr, flush=True)
        due = (c.checkpoint_every > 0 and (i + 1) % c.checkpoint_every == 0) or i == c.total_steps
        if due:
            checkpoint()
        if args.stop_after is not None and steps_run >= args.stop_after and i < c.total_steps:
            break
    if steps_run == 0:
        checkpoint()  # already complete: refresh the exports
    ranks.close()


if __name__ == "__main__":
    main()
