"""Token shards and the batch order of src/data/batch_loader.ts, bit for bit.

A shard is raw little-endian uint16 token ids (src/data/shard.ts). Each epoch cuts the training shard
into windows of seq_len + 1 tokens overlapping by one, from a per-epoch random shift, and visits them in
a per-epoch random permutation; both come from the frozen mulberry32 stream seeded by
mix_seed(seed, epoch, tag) (docs/determinism.md). The loader's state (seed, seqLen, shardTokens, epoch,
index) is the JSON object both engines store in train_state.safetensors.
"""

import json
import os

import numpy as np

M32 = 0xFFFFFFFF


def _imul(a, b):
    return (a * b) & M32


def _rotl(x, r):
    return ((x << r) | (x >> (32 - r))) & M32


def mix_seed(*words):
    """src/random/seed.ts mixSeed: murmur3's word step and finaliser over 32-bit words."""
    h = 0x9E3779B9
    for word in words:
        k = _imul(word & M32, 0xCC9E2D51)
        k = _imul(_rotl(k, 15), 0x1B873593)
        h ^= k
        h = (_imul(_rotl(h, 13), 5) + 0xE6546B64) & M32
    h ^= h >> 16
    h = _imul(h, 0x85EBCA6B)
    h ^= h >> 13
    h = _imul(h, 0xC2B2AE35)
    h ^= h >> 16
    return h


def mulberry32(seed):
    """src/random/frozen_mulberry32.ts: a function returning successive uint32 values."""
    state = seed & M32

    def nxt():
        nonlocal state
        state = (state + 0x6D2B79F5) & M32
        t = state
        t = _imul(t ^ (t >> 15), t | 1)
        t ^= (t + _imul(t ^ (t >> 7), t | 61)) & M32
        return (t ^ (t >> 14)) & M32

    return nxt


def uniform_int(nxt, n):
    """A uniform integer in [0, n) by rejection sampling (no modulo bias)."""
    limit = 2**32 - (2**32 % n)
    while True:
        x = nxt()
        if x < limit:
            return x % n


def seeded_permutation(n, seed):
    """Fisher-Yates over 0..n-1 with mulberry32(seed), as seededPermutation."""
    nxt = mulberry32(seed)
    perm = list(range(n))
    for i in range(n - 1, 0, -1):
        j = uniform_int(nxt, i + 1)
        perm[i], perm[j] = perm[j], perm[i]
    return np.array(perm, dtype=np.int64)


def read_shard(path, vocab_size=None):
    try:
        ids = np.fromfile(path, dtype="<u2")
    except OSError as e:
        raise ValueError(f"{path}: cannot read token shard ({e.strerror})") from None
    if os.path.getsize(path) % 2 != 0:
        raise ValueError(f"{path}: token shard has an odd byte length")
    if vocab_size is not None and len(ids) and int(ids.max()) >= vocab_size:
        bad = int(np.argmax(ids >= vocab_size))
        raise ValueError(f"{path}: token {int(ids[bad])} at position {bad} is outside the vocabulary (size {vocab_size})")
    return ids.astype(np.int64)


class BatchLoader:
    """[batch_size, seq_len + 1] windows in the order of the TypeScript BatchLoader."""

    def __init__(self, tokens, batch_size, seq_len, seed, state=None):
        if len(tokens) < seq_len + 1:
            raise ValueError(f"token shard has {len(tokens)} tokens, fewer than one window of {seq_len + 1}")
        self.tokens = tokens
        self.batch_size = batch_size
        self.seq_len = seq_len
        self.seed = seed
        if state is not None:
            if state["seqLen"] != seq_len or state["shardTokens"] != len(tokens) or state["seed"] != seed:
                raise ValueError(
                    f"data loader state (seed {state['seed']}, seqLen {state['seqLen']}, shard {state['shardTokens']} tokens) "
                    f"does not match this run (seed {seed}, seqLen {seq_len}, shard {len(tokens)} tokens)"
                )
        self.epoch = state["epoch"] if state else 0
        self.index = state["index"] if state else 0
        self._start_epoch()
        if self.index > len(self.order):
            raise ValueError(f"data loader state index {self.index} exceeds the {len(self.order)} windows of the epoch")

    def state(self):
        return {"seed": self.seed, "seqLen": self.seq_len, "shardTokens": len(self.tokens), "epoch": self.epoch, "index": self.index}

    def next(self):
        width = self.seq_len + 1
        out = np.empty((self.batch_size, width), dtype=np.int64)
        for row in range(self.batch_size):
            if self.index >= len(self.order):
                self.epoch += 1
                self.index = 0
                self._start_epoch()
            start = self.shift + int(self.order[self.index]) * self.seq_len
            self.index += 1
            out[row] = self.tokens[start : start + width]
        return out

    def _start_epoch(self):
        n = len(self.tokens)
        max_shift = min(self.seq_len - 1, n - 1 - self.seq_len)
        self.shift = uniform_int(mulberry32(mix_seed(self.seed, self.epoch, 1)), max_shift + 1)
        windows = (n - 1 - self.shift) // self.seq_len
        self.order = seeded_permutation(windows, mix_seed(self.seed, self.epoch, 2))


def validation_windows(tokens, seq_len, max_windows=None):
    """The fixed validation windows of src/data/validation_batches.ts, [count, seq_len + 1]."""
    total = (len(tokens) - 1) // seq_len
    if total < 1:
        raise ValueError(f"validation shard has {len(tokens)} tokens, fewer than one window of {seq_len + 1}")
    count = min(total, max_windows if max_windows is not None else total)
    starts = [((i * total) // count) * seq_len for i in range(count)]
    return np.stack([tokens[s : s + seq_len + 1] for s in starts])


def read_prepared_corpus(data_dir, vocab_size):
    """(train ids, val ids, manifest) of a prepared corpus directory (train.bin, val.bin, manifest.json)."""
    manifest_path = os.path.join(data_dir, "manifest.json")
    try:
        with open(manifest_path) as f:
            manifest = json.load(f)
    except OSError:
        raise ValueError(f"{manifest_path}: missing (a prepared corpus directory holds train.bin, val.bin and manifest.json)") from None
    train = read_shard(os.path.join(data_dir, "train.bin"), vocab_size)
    val = read_shard(os.path.join(data_dir, "val.bin"), vocab_size)
    if len(train) != manifest["trainTokens"]:
        raise ValueError(f"{os.path.join(data_dir, 'train.bin')}: holds {len(train)} tokens, manifest says {manifest['trainTokens']}")
    return train, val, manifest
