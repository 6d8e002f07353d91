{
  "variables": {
    "csp_march%": "<!(node -p \"process.env.CSP_MARCH || 'native'\")"
  },
  "targets": [
    {
      "target_name": "csp_native",
      "sources": [
        "src/native/addon.cc",
        "src/native/activations.cc",
        "src/native/attention.cc",
        "src/native/gemm.cc",
        "src/native/node_mask.cc",
        "src/native/rows.cc",
        "src/native/sparse.cc",
        "src/native/thread_pool.cc",
        "src/native/token_layout.cc",
        "src/native/train_cross_entropy.cc",
        "src/native/train_kernels.cc",
        "src/native/train_topk.cc",
        "src/native/gemm_sparse_a.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "CSP_MARCH=\"<(csp_march)\""],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-march=<(csp_march)", "-ffp-contract=off", "-fno-math-errno"]
    }
  ]
}
