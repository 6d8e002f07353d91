"""csp_torch: the weight-sparse training recipe of circuit-sparsity on PyTorch (torch.distributed).

Reads and writes the same run directories as `csp train` (config.json, model.safetensors,
train_state.safetensors, metrics.jsonl), so a run can move between the two engines. docs/scale-out.md.
"""
