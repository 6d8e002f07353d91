#!/usr/bin/env bash
# Trains the model zoo (docs/zoo.md) into OUT (default runs/zoo): one shared 2048-token BPE, then each
# preset on the same corpus and token budget, then each model's node means. Resumable: rerun to continue.
# Usage: bash scripts/train-zoo.sh [OUT] [PRESET...]
set -euo pipefail
out=${1:-runs/zoo}
shift || true
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(zoo-sparse-ef1 zoo-sparse-ef2 zoo-sparse-ef4 zoo-sparse-ef4-l0x4 zoo-sparse-ef1-8x zoo-dense-d32 zoo-dense-d64 zoo-dense-d128)
csp() { node "$(dirname "$0")/../dist/src/cli/main.js" "$@"; }
corpus=(--corpus @stdlib @simple)
[ -f "$out/tokenizer/vocab.bpe" ] || csp tokenizer train "${corpus[@]}" --vocab-size 2048 --out "$out/tokenizer"
for p in "${presets[@]}"; do
  name=${p#zoo-}
  csp train --preset "$p" "${corpus[@]}" --tokenizer "$out/tokenizer" --no-progress --out "$out/$name"
  csp means --model "$out/$name" "${corpus[@]}" --quiet
done
