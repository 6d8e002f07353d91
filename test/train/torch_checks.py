"""Python-side checks of python/csp_torch, run by test/train/torch_engine.test.ts in one process (torch
is imported once): `python torch_checks.py JOBS.json`.

JOBS.json: {"logits": [csp_torch.logits jobs], "loaders": [{"shard", "batch", "seqLen", "seed",
"batches", "state"?, "out"}]}. Each loader job writes the first `batches` batches of the Python
BatchLoader (from `state` if given) and its final state as JSON, for comparison with the TypeScript one.
"""

import json
import sys

from csp_torch.data import BatchLoader, read_shard
from csp_torch.logits import run_job


def main():
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    for job in jobs.get("logits", []):
        run_job(job)
    for job in jobs.get("loaders", []):
        loader = BatchLoader(read_shard(job["shard"]), job["batch"], job["seqLen"], job["seed"], state=job.get("state"))
        batches = [loader.next().tolist() for _ in range(job["batches"])]
        with open(job["out"], "w") as f:
            json.dump({"batches": batches, "state": loader.state()}, f)


if __name__ == "__main__":
    main()
