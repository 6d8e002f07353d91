"""Runtime facts of the PyTorch baseline, and the settings every baseline child applies."""

import os
import resource

import torch


def setup(threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)


def blas_library():
    """The BLAS shared object actually mapped into this process (after a matmul has run)."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if "/" in line else ""
                base = os.path.basename(path)
                if "blas" in base or "mkl" in base or "blis" in base:
                    libs.add(os.path.realpath(path))
    except OSError:
        pass
    return sorted(libs)


def info():
    return {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": blas_library(),
        "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS", "OMP_WAIT_POLICY")},
    }


def peak_rss_bytes():
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


if __name__ == "__main__":
    # Printed by the harness before the measurements: what this torch build is and how it threads.
    import json

    setup(int(os.environ.get("OMP_NUM_THREADS", "2")))
    print(torch.__config__.show())
    print(torch.__config__.parallel_info())
    print("RUNTIME " + json.dumps(info()))
