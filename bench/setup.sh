#!/usr/bin/env bash
# Installs what the PyTorch baselines need, when it is missing (idempotent; needs root and apt):
#   python3-torch  Debian's CPU build, imported from /usr/bin/python3 (not the pyenv python3 on PATH)
#   libopenblas0   the optimised BLAS Debian's libtorch recommends; without it torch's matmuls fall back
#                  to the reference BLAS (~1 GFLOP/s here), which would make the baseline a strawman.
#                  Installing it switches the libblas.so.3 alternative to OpenBLAS for every program.
set -euo pipefail
need=()
/usr/bin/python3 -c "import torch" 2>/dev/null || need+=(python3-torch)
dpkg -s libopenblas0 >/dev/null 2>&1 || dpkg -s libopenblas0-pthread >/dev/null 2>&1 || need+=(libopenblas0)
if [ ${#need[@]} -eq 0 ]; then
  echo "bench/setup.sh: python3-torch and OpenBLAS already installed"
  exit 0
fi
echo "bench/setup.sh: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q "${need[@]}"
/usr/bin/python3 -c "import torch; print('bench/setup.sh: torch', torch.__version__)"
