// Node-API surface of the native backend (see src/backend/native.ts for the JS-side signatures).
// Every argument is checked before any kernel runs: a wrong type throws TypeError, a wrong size or
// an out-of-range CSR index throws RangeError, so no call from JS can read or write out of bounds.
// Typed arrays are used in place (no copies); the JS thread blocks until the kernel is done.
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <new>
#include <string>
#include <vector>

#include "activations.h"
#include "attention.h"
#include "gemm.h"
#include "node_mask.h"
#include "rows.h"
#include "simd.h"
#include "sparse.h"
#include "thread_pool.h"
#include "train_kernels.h"
#include "gemm_sparse_a.h"

namespace {

class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* fn) : info_(info), fn_(fn) {}

  bool failed() const { return failed_; }

  bool count(size_t n) {
    if (info_.Length() < n) typeError("expected " + std::to_string(n) + " arguments, got " + std::to_string(info_.Length()));
    return !failed_;
  }

  bool boolean(size_t i, const char* name) {
    if (failed_) return false;
    if (!info_[i].IsBoolean()) {
      typeError(std::string(name) + " must be a boolean");
      return false;
    }
    return info_[i].As<Napi::Boolean>().Value();
  }

  // A non-negative int32 dimension.
  int dim(size_t i, const char* name) {
    if (failed_) return 0;
    if (!info_[i].IsNumber()) {
      typeError(std::string(name) + " must be a number");
      return 0;
    }
    const double d = info_[i].As<Napi::Number>().DoubleValue();
    if (!(d >= 0 && d <= 2147483647.0 && std::floor(d) == d)) {
      rangeError(std::string(name) + " must be an integer in [0, 2^31), got " + Napi::Number::New(info_.Env(), d).ToString().Utf8Value());
      return 0;
    }
    return static_cast<int>(d);
  }

  // A Float32Array / Float64Array / Int32Array / Uint8Array with at least `need` elements.
  float* f32(size_t i, const char* name, size_t need, size_t* length = nullptr) {
    return typed<float, napi_float32_array>(i, name, need, "a Float32Array", length);
  }
  double* f64(size_t i, const char* name, size_t need) { return typed<double, napi_float64_array>(i, name, need, "a Float64Array"); }
  int32_t* i32(size_t i, const char* name, size_t need, size_t* length = nullptr) {
    return typed<int32_t, napi_int32_array>(i, name, need, "an Int32Array", length);
  }
  uint8_t* u8(size_t i, const char* name, size_t need) { return typed<uint8_t, napi_uint8_array>(i, name, need, "a Uint8Array"); }

  // The kernels write `out` while reading `in`; overlapping memory would make the result depend on
  // the blocking and the thread schedule.
  void disjoint(const void* out, size_t outBytes, const char* outName, const void* in, size_t inBytes, const char* inName) {
    if (failed_ || outBytes == 0 || inBytes == 0) return;
    const uintptr_t o = reinterpret_cast<uintptr_t>(out), p = reinterpret_cast<uintptr_t>(in);
    if (o < p + inBytes && p < o + outBytes) rangeError(std::string(outName) + " must not share memory with " + inName);
  }

  // rowPtr[0..rows] nondecreasing from ≥ 0 to ≤ limit, and every column index in [0, cols).
  void csr(int rows, int cols, const int32_t* ptr, const int32_t* idx, size_t limit) {
    if (failed_) return;
    if (ptr[0] < 0) {
      rangeError("rowPtr[0] must be >= 0, got " + std::to_string(ptr[0]));
      return;
    }
    for (int r = 0; r < rows; r++) {
      if (ptr[r + 1] < ptr[r]) {
        rangeError("rowPtr must be nondecreasing (rowPtr[" + std::to_string(r + 1) + "] < rowPtr[" + std::to_string(r) + "])");
        return;
      }
    }
    if (static_cast<size_t>(ptr[rows]) > limit) {
      rangeError("rowPtr[rows] = " + std::to_string(ptr[rows]) + " exceeds the " + std::to_string(limit) + " stored nonzeros");
      return;
    }
    for (int32_t p = ptr[0]; p < ptr[rows]; p++) {
      if (static_cast<uint32_t>(idx[p]) >= static_cast<uint32_t>(cols)) {
        rangeError("colIdx[" + std::to_string(p) + "] = " + std::to_string(idx[p]) + " is outside [0, " + std::to_string(cols) + ")");
        return;
      }
    }
  }

  void typeError(const std::string& msg) { fail(Napi::TypeError::New(info_.Env(), std::string(fn_) + ": " + msg)); }
  void rangeError(const std::string& msg) { fail(Napi::RangeError::New(info_.Env(), std::string(fn_) + ": " + msg)); }
  void outOfMemory() { fail(Napi::Error::New(info_.Env(), std::string(fn_) + ": out of memory for scratch buffers")); }

 private:
  template <typename T, napi_typedarray_type kType>
  T* typed(size_t i, const char* name, size_t need, const char* what, size_t* length = nullptr) {
    if (failed_) return nullptr;
    if (!info_[i].IsTypedArray() || info_[i].As<Napi::TypedArray>().TypedArrayType() != kType) {
      typeError(std::string(name) + " must be " + what);
      return nullptr;
    }
    Napi::TypedArrayOf<T> a = info_[i].As<Napi::TypedArrayOf<T>>();
    if (a.ElementLength() < need) {
      rangeError(std::string(name) + " has " + std::to_string(a.ElementLength()) + " elements, needs " + std::to_string(need));
      return nullptr;
    }
    if (length) *length = a.ElementLength();
    return a.Data();
  }

  void fail(Napi::Error error) {
    if (failed_) return;
    failed_ = true;
    error.ThrowAsJavaScriptException();
  }

  const Napi::CallbackInfo& info_;
  const char* fn_;
  bool failed_ = false;
};

size_t mul(size_t a, size_t b) { return a * b; }  // dims are < 2^31, so a product of two fits size_t

// Runs a kernel that reports scratch exhaustion by returning false or throwing bad_alloc.
template <typename F>
void runKernel(Args& args, F kernel) {
  bool ok;
  try {
    ok = kernel();
  } catch (const std::bad_alloc&) {
    ok = false;
  }
  if (!ok) args.outOfMemory();
}

// gemm(transA, transB, m, n, k, a, b, c, accumulate) and gemmSparseA (the same arguments; only A's
// nonzeros count).
template <bool kSparseA>
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Args args(info, kSparseA ? "gemmSparseA" : "gemm");
  if (!args.count(9)) return info.Env().Undefined();
  const bool ta = args.boolean(0, "transA"), tb = args.boolean(1, "transB");
  const int m = args.dim(2, "m"), n = args.dim(3, "n"), k = args.dim(4, "k");
  const float* a = args.f32(5, "A", mul(m, k));
  const float* b = args.f32(6, "B", mul(k, n));
  float* c = args.f32(7, "C", mul(m, n));
  const bool acc = args.boolean(8, "accumulate");
  args.disjoint(c, mul(m, n) * 4, "C", a, mul(m, k) * 4, "A");
  args.disjoint(c, mul(m, n) * 4, "C", b, mul(k, n) * 4, "B");
  if (args.failed()) return info.Env().Undefined();
  runKernel(args, [&] {
    return kSparseA ? csp::gemmSparseA(ta, tb, m, n, k, a, b, c, acc) : csp::gemm(ta, tb, m, n, k, a, b, c, acc);
  });
  return info.Env().Undefined();
}

// spmmNT(m, x, rows, cols, rowPtr, colIdx, values, y, accumulate) and
// spmmNN(m, dy, rows, cols, rowPtr, colIdx, values, dx, accumulate) share their argument shape.
template <bool kTransposedOut>
Napi::Value Spmm(const Napi::CallbackInfo& info) {
  const char* fn = kTransposedOut ? "spmmNN" : "spmmNT";
  Args args(info, fn);
  if (!args.count(9)) return info.Env().Undefined();
  const int m = args.dim(0, "m");
  const int rows = args.dim(2, "rows"), cols = args.dim(3, "cols");
  // spmmNT reads X[m, cols] and writes Y[m, rows]; spmmNN reads DY[m, rows] and writes DX[m, cols].
  const int inWidth = kTransposedOut ? rows : cols, outWidth = kTransposedOut ? cols : rows;
  const float* in = args.f32(1, kTransposedOut ? "dy" : "x", mul(m, inWidth));
  const int32_t* ptr = args.i32(4, "rowPtr", static_cast<size_t>(rows) + 1);
  size_t idxLen = 0, valLen = 0;
  const int32_t* idx = args.i32(5, "colIdx", 0, &idxLen);
  const float* val = args.f32(6, "values", 0, &valLen);
  float* out = args.f32(7, kTransposedOut ? "dx" : "y", mul(m, outWidth));
  const bool acc = args.boolean(8, "accumulate");
  // spmmNT's optional 10th argument: a bias [rows] added to every output row.
  const bool hasBias = !kTransposedOut && info.Length() > 9 && !info[9].IsNull() && !info[9].IsUndefined();
  const float* bias = hasBias ? args.f32(9, "bias", rows) : nullptr;
  args.csr(rows, cols, ptr, idx, std::min(idxLen, valLen));
  const char* inName = kTransposedOut ? "dy" : "x";
  const char* outName = kTransposedOut ? "dx" : "y";
  args.disjoint(out, mul(m, outWidth) * 4, outName, in, mul(m, inWidth) * 4, inName);
  args.disjoint(out, mul(m, outWidth) * 4, outName, val, valLen * 4, "values");
  args.disjoint(out, mul(m, outWidth) * 4, outName, idx, idxLen * 4, "colIdx");
  args.disjoint(out, mul(m, outWidth) * 4, outName, ptr, (static_cast<size_t>(rows) + 1) * 4, "rowPtr");
  if (args.failed()) return info.Env().Undefined();
  const csp::CsrView w{rows, cols, ptr, idx, val};
  if (bias) args.disjoint(out, mul(m, outWidth) * 4, outName, bias, static_cast<size_t>(rows) * 4, "bias");
  if (args.failed()) return info.Env().Undefined();
  runKernel(args, [&] { return kTransposedOut ? csp::spmmNN(m, in, w, out, acc) : csp::spmmNT(m, in, w, out, acc, bias); });
  return info.Env().Undefined();
}

// sddmm(m, dy, x, rows, cols, rowPtr, colIdx, out)
Napi::Value Sddmm(const Napi::CallbackInfo& info) {
  Args args(info, "sddmm");
  if (!args.count(8)) return info.Env().Undefined();
  const int m = args.dim(0, "m");
  const int rows = args.dim(3, "rows"), cols = args.dim(4, "cols");
  const float* dy = args.f32(1, "dy", mul(m, rows));
  const float* x = args.f32(2, "x", mul(m, cols));
  const int32_t* ptr = args.i32(5, "rowPtr", static_cast<size_t>(rows) + 1);
  size_t idxLen = 0, outLen = 0;
  const int32_t* idx = args.i32(6, "colIdx", 0, &idxLen);
  float* out = args.f32(7, "out", 0, &outLen);
  args.csr(rows, cols, ptr, idx, std::min(idxLen, outLen));
  args.disjoint(out, outLen * 4, "out", dy, mul(m, rows) * 4, "dy");
  args.disjoint(out, outLen * 4, "out", x, mul(m, cols) * 4, "x");
  args.disjoint(out, outLen * 4, "out", idx, idxLen * 4, "colIdx");
  args.disjoint(out, outLen * 4, "out", ptr, (static_cast<size_t>(rows) + 1) * 4, "rowPtr");
  if (args.failed()) return info.Env().Undefined();
  const csp::CsrView pattern{rows, cols, ptr, idx, nullptr};
  runKernel(args, [&] { return csp::sddmm(m, dy, x, pattern, out); });
  return info.Env().Undefined();
}

// absTopK(x, n, d, k, kept): in place on x [n, d]; kept [n·d] receives the selection.
Napi::Value AbsTopK(const Napi::CallbackInfo& info) {
  Args args(info, "absTopK");
  if (!args.count(5)) return info.Env().Undefined();
  const int n = args.dim(1, "n"), d = args.dim(2, "d"), k = args.dim(3, "k");
  float* x = args.f32(0, "x", mul(n, d));
  uint8_t* kept = args.u8(4, "kept", mul(n, d));
  if (args.failed()) return info.Env().Undefined();
  runKernel(args, [&] {
    csp::absTopK(x, n, d, k, kept);
    return true;
  });
  return info.Env().Undefined();
}

// The node-mask arguments shared by both directions: x, rows, width, mask (Float64Array), mu, muPerRow.
bool nodeMaskView(Args& args, csp::NodeMaskView& v) {
  v.rows = args.dim(1, "rows");
  v.width = args.dim(2, "width");
  v.muPerRow = args.boolean(5, "muPerRow");
  const size_t entries = mul(v.rows, v.width);
  v.x = args.f32(0, "x", entries);
  v.mask = args.f64(3, "mask", v.width);
  v.mu = args.f32(4, "mu", v.muPerRow ? entries : v.width);
  return !args.failed();
}

// nodeMaskForward(x, rows, width, mask, mu, muPerRow, out)
Napi::Value NodeMaskForward(const Napi::CallbackInfo& info) {
  Args args(info, "nodeMaskForward");
  csp::NodeMaskView v{};
  if (!args.count(7) || !nodeMaskView(args, v)) return info.Env().Undefined();
  const size_t entries = mul(v.rows, v.width);
  float* out = args.f32(6, "out", entries);
  if (out != v.x) args.disjoint(out, entries * 4, "out", v.x, entries * 4, "x");  // in place is fine
  if (args.failed()) return info.Env().Undefined();
  csp::nodeMaskForward(v, out);
  return info.Env().Undefined();
}

// nodeMaskBackward(x, rows, width, mask, mu, muPerRow, dOut, dx, dMask | null, perSequence)
Napi::Value NodeMaskBackward(const Napi::CallbackInfo& info) {
  Args args(info, "nodeMaskBackward");
  csp::NodeMaskView v{};
  if (!args.count(10) || !nodeMaskView(args, v)) return info.Env().Undefined();
  const size_t entries = mul(v.rows, v.width);
  const float* dOut = args.f32(6, "dOut", entries);
  float* dx = args.f32(7, "dx", entries);
  double* dMask = info[8].IsNull() || info[8].IsUndefined() ? nullptr : args.f64(8, "dMask", v.width);
  const int perSequence = args.dim(9, "perSequence");
  if (!args.failed() && perSequence > 0 && v.rows % perSequence != 0) args.rangeError("rows must be a multiple of perSequence");
  if (dx != dOut) args.disjoint(dx, entries * 4, "dx", dOut, entries * 4, "dOut");  // in place is fine
  args.disjoint(dx, entries * 4, "dx", v.x, entries * 4, "x");
  if (args.failed()) return info.Env().Undefined();
  csp::nodeMaskBackward(v, dOut, dx, dMask, perSequence);
  return info.Env().Undefined();
}

// gelu(x, out, size) / geluBackward(x, dy, dx, size)
Napi::Value Gelu(const Napi::CallbackInfo& info) {
  Args args(info, "gelu");
  if (!args.count(3)) return info.Env().Undefined();
  const int size = args.dim(2, "size");
  const float* x = args.f32(0, "x", size);
  float* out = args.f32(1, "out", size);
  if (args.failed()) return info.Env().Undefined();
  csp::geluForward(x, out, size);
  return info.Env().Undefined();
}

Napi::Value GeluBackward(const Napi::CallbackInfo& info) {
  Args args(info, "geluBackward");
  if (!args.count(4)) return info.Env().Undefined();
  const int size = args.dim(3, "size");
  const float* x = args.f32(0, "x", size);
  const float* dy = args.f32(1, "dy", size);
  float* dx = args.f32(2, "dx", size);
  if (args.failed()) return info.Env().Undefined();
  csp::geluBackward(x, dy, dx, size);
  return info.Env().Undefined();
}

// A Float32Array argument that may be null or undefined (the attention sink is optional).
float* optionalF32(Args& args, const Napi::CallbackInfo& info, size_t i, const char* name, size_t need) {
  if (info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return args.f32(i, name, need);
}

// An attention argument: its data (null when absent), its size in floats and its name.
struct Region {
  const float* data;
  size_t floats;
  const char* name;
};

// Each (batch, head) pair reads its inputs while other pairs write: an output overlapping an input,
// or another output, would make the results depend on the thread schedule.
template <size_t NI, size_t NO>
void attentionDisjoint(Args& args, const Region (&ins)[NI], const Region (&outs)[NO]) {
  for (size_t o = 0; o < NO; o++) {
    if (!outs[o].data) continue;
    for (const Region& in : ins) {
      if (in.data) args.disjoint(outs[o].data, outs[o].floats * 4, outs[o].name, in.data, in.floats * 4, in.name);
    }
    for (size_t p = o + 1; p < NO; p++) {
      if (outs[p].data) args.disjoint(outs[o].data, outs[o].floats * 4, outs[o].name, outs[p].data, outs[p].floats * 4, outs[p].name);
    }
  }
}

// attentionForward(b, t, nHead, dHead, q, k, v, sink?, y, probs?, pSink?)
Napi::Value AttentionForward(const Napi::CallbackInfo& info) {
  Args args(info, "attentionForward");
  if (!args.count(11)) return info.Env().Undefined();
  const csp::AttentionDims d{args.dim(0, "b"), args.dim(1, "t"), args.dim(2, "nHead"), args.dim(3, "dHead")};
  const size_t act = mul(mul(d.b, d.t), mul(d.nHead, d.dHead));
  const size_t probsSize = mul(mul(d.b, d.nHead), mul(d.t, d.t)), rowsSize = mul(mul(d.b, d.nHead), d.t);
  const float* q = args.f32(4, "q", act);
  const float* k = args.f32(5, "k", act);
  const float* v = args.f32(6, "v", act);
  const float* sink = optionalF32(args, info, 7, "sink", d.nHead);
  float* y = args.f32(8, "y", act);
  float* probs = optionalF32(args, info, 9, "probs", probsSize);
  float* pSink = optionalF32(args, info, 10, "pSink", rowsSize);
  const Region ins[] = {{q, act, "q"}, {k, act, "k"}, {v, act, "v"}, {sink, static_cast<size_t>(d.nHead), "sink"}};
  const Region outs[] = {{y, act, "y"}, {probs, probsSize, "probs"}, {pSink, rowsSize, "pSink"}};
  attentionDisjoint(args, ins, outs);
  if (args.failed()) return info.Env().Undefined();
  runKernel(args, [&] { return csp::attentionForward(d, q, k, v, sink, y, probs, pSink); });
  return info.Env().Undefined();
}

// attentionBackward(b, t, nHead, dHead, dy, q, k, v, probs, pSink?, dq, dk, dv, dSink?)
Napi::Value AttentionBackward(const Napi::CallbackInfo& info) {
  Args args(info, "attentionBackward");
  if (!args.count(14)) return info.Env().Undefined();
  const csp::AttentionDims d{args.dim(0, "b"), args.dim(1, "t"), args.dim(2, "nHead"), args.dim(3, "dHead")};
  const size_t act = mul(mul(d.b, d.t), mul(d.nHead, d.dHead));
  const size_t probsSize = mul(mul(d.b, d.nHead), mul(d.t, d.t)), rowsSize = mul(mul(d.b, d.nHead), d.t);
  const float* dy = args.f32(4, "dy", act);
  const float* q = args.f32(5, "q", act);
  const float* k = args.f32(6, "k", act);
  const float* v = args.f32(7, "v", act);
  const float* probs = args.f32(8, "probs", probsSize);
  const float* pSink = optionalF32(args, info, 9, "pSink", rowsSize);
  float* dq = args.f32(10, "dq", act);
  float* dk = args.f32(11, "dk", act);
  float* dv = args.f32(12, "dv", act);
  float* dSink = optionalF32(args, info, 13, "dSink", d.nHead);
  const Region ins[] = {{dy, act, "dy"}, {q, act, "q"}, {k, act, "k"}, {v, act, "v"}, {probs, probsSize, "probs"}, {pSink, rowsSize, "pSink"}};
  const Region outs[] = {{dq, act, "dq"}, {dk, act, "dk"}, {dv, act, "dv"}, {dSink, static_cast<size_t>(d.nHead), "dSink"}};
  attentionDisjoint(args, ins, outs);
  if (args.failed()) return info.Env().Undefined();
  runKernel(args, [&] { return csp::attentionBackward(d, dy, q, k, v, probs, pSink, dq, dk, dv, dSink); });
  return info.Env().Undefined();
}

// threads() -> current count; threads(n) sets it (1..64) and returns it. Results never depend on it.
Napi::Value Threads(const Napi::CallbackInfo& info) {
  if (info.Length() >= 1 && !info[0].IsUndefined()) {
    Args args(info, "threads");
    const int n = args.dim(0, "n");
    if (args.failed()) return info.Env().Undefined();
    if (n < 1 || n > 64) {
      args.rangeError("n must be in [1, 64], got " + std::to_string(n));
      return info.Env().Undefined();
    }
    csp::setThreadCount(n);
  }
  return Napi::Number::New(info.Env(), csp::threadCount());
}

#if !defined(CSP_MARCH)
#define CSP_MARCH "unknown"
#endif

// What this build was compiled for: the -march it was given (binding.gyp's csp_march), the
// instruction-set macros that target defines, and the vector widths the kernels use. Results do not
// depend on it (src/native/simd.h); speed does, which is why benchmarks print it.
Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  Napi::Object simd = Napi::Object::New(env);
  const auto flag = [&](const char* name, bool on) { simd.Set(name, Napi::Boolean::New(env, on)); };
#if defined(__AVX512F__)
  flag("avx512f", true);
#else
  flag("avx512f", false);
#endif
#if defined(__AVX2__)
  flag("avx2", true);
#else
  flag("avx2", false);
#endif
#if defined(__AVX__)
  flag("avx", true);
#else
  flag("avx", false);
#endif
#if defined(__FMA__)
  flag("fma", true);
#else
  flag("fma", false);
#endif
  Napi::Object out = Napi::Object::New(env);
  out.Set("march", Napi::String::New(env, CSP_MARCH));
  out.Set("simd", simd);
  out.Set("registerBytes", Napi::Number::New(env, csp::kRegisterBytes));
  out.Set("logicalFloatLanes", Napi::Number::New(env, csp::kVL));
  out.Set("compiler", Napi::String::New(env, __VERSION__));
  return out;
}

// countNonzeros(dense) -> number; denseToCsr(dense, rows, cols, rowPtr, colIdx, values) with colIdx and
// values sized by the nonzero count (the caller's, not counted again here: a wrong one is a RangeError,
// and then colIdx and values are left untouched).
Napi::Value CountNonzeros(const Napi::CallbackInfo& info) {
  Args args(info, "countNonzeros");
  if (!args.count(1)) return info.Env().Undefined();
  size_t size = 0;
  const float* dense = args.f32(0, "dense", 0, &size);
  if (args.failed()) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), static_cast<double>(csp::countNonzeros(dense, static_cast<int64_t>(size))));
}

Napi::Value DenseToCsr(const Napi::CallbackInfo& info) {
  Args args(info, "denseToCsr");
  if (!args.count(6)) return info.Env().Undefined();
  const int rows = args.dim(1, "rows"), cols = args.dim(2, "cols");
  const float* dense = args.f32(0, "dense", mul(rows, cols));
  if (args.failed()) return info.Env().Undefined();
  size_t idxLength = 0, valLength = 0;
  int32_t* ptr = args.i32(3, "rowPtr", static_cast<size_t>(rows) + 1);
  int32_t* idx = args.i32(4, "colIdx", 0, &idxLength);
  float* val = args.f32(5, "values", 0, &valLength);
  if (!args.failed() && idxLength != valLength)
    args.rangeError("colIdx has " + std::to_string(idxLength) + " elements and values " + std::to_string(valLength));
  args.disjoint(val, valLength * 4, "values", dense, mul(rows, cols) * 4, "dense");
  args.disjoint(idx, idxLength * 4, "colIdx", dense, mul(rows, cols) * 4, "dense");
  if (args.failed()) return info.Env().Undefined();
  const int64_t nnz = csp::denseToCsr(dense, rows, cols, ptr, idx, val, static_cast<int64_t>(idxLength));
  if (nnz != static_cast<int64_t>(idxLength))
    args.rangeError("the matrix has " + std::to_string(nnz) + " nonzeros, colIdx and values hold " + std::to_string(idxLength));
  return info.Env().Undefined();
}

// ---- row-wise kernels (rows.h)

// addInto(a, b, out, size): out = a + b.
Napi::Value AddInto(const Napi::CallbackInfo& info) {
  Args args(info, "addInto");
  if (!args.count(4)) return info.Env().Undefined();
  const int size = args.dim(3, "size");
  const float* a = args.f32(0, "a", size);
  const float* b = args.f32(1, "b", size);
  float* out = args.f32(2, "out", size);
  if (args.failed()) return info.Env().Undefined();
  csp::addInto(a, b, out, size);
  return info.Env().Undefined();
}

// rmsNormForward(x, w, n, d, out, rstd, xStride, outStride, outOffset, eps)
Napi::Value RmsNormForward(const Napi::CallbackInfo& info) {
  Args args(info, "rmsNormForward");
  if (!args.count(10)) return info.Env().Undefined();
  const int n = args.dim(2, "n"), d = args.dim(3, "d");
  const int xStride = args.dim(6, "xStride"), outStride = args.dim(7, "outStride"), outOffset = args.dim(8, "outOffset");
  if (!args.failed() && (xStride < d || outOffset + d > outStride)) args.rangeError("row strides must fit d columns");
  const size_t xNeed = n == 0 ? 0 : mul(n - 1, xStride) + d;
  const size_t outNeed = n == 0 ? 0 : mul(n - 1, outStride) + outOffset + d;
  const float* x = args.f32(0, "x", xNeed);
  const float* w = args.f32(1, "w", d);
  float* out = args.f32(4, "out", outNeed);
  float* rstd = args.f32(5, "rstd", n);
  const double eps = info[9].IsNumber() ? info[9].As<Napi::Number>().DoubleValue() : -1;
  if (!args.failed() && !(eps >= 0)) args.rangeError("eps must be a non-negative number");
  args.disjoint(out, outNeed * 4, "out", x, xNeed * 4, "x");
  if (args.failed()) return info.Env().Undefined();
  csp::rmsNormForward(x, w, n, d, out, rstd, xStride, outStride, outOffset, eps);
  return info.Env().Undefined();
}

// rmsNormBackward(dy, x, w, rstd, n, d, dx, dw | null, dyStride, dyOffset)
Napi::Value RmsNormBackward(const Napi::CallbackInfo& info) {
  Args args(info, "rmsNormBackward");
  if (!args.count(10)) return info.Env().Undefined();
  const int n = args.dim(4, "n"), d = args.dim(5, "d");
  const int dyStride = args.dim(8, "dyStride"), dyOffset = args.dim(9, "dyOffset");
  if (!args.failed() && dyOffset + d > dyStride) args.rangeError("dy rows must fit d columns");
  const size_t dyNeed = n == 0 ? 0 : mul(n - 1, dyStride) + dyOffset + d;
  const float* dy = args.f32(0, "dy", dyNeed);
  const float* x = args.f32(1, "x", mul(n, d));
  const float* w = args.f32(2, "w", d);
  const float* rstd = args.f32(3, "rstd", n);
  float* dx = args.f32(6, "dx", mul(n, d));
  float* dw = info[7].IsNull() || info[7].IsUndefined() ? nullptr : args.f32(7, "dw", d);
  args.disjoint(dx, mul(n, d) * 4, "dx", dy, dyNeed * 4, "dy");
  args.disjoint(dx, mul(n, d) * 4, "dx", x, mul(n, d) * 4, "x");
  if (args.failed()) return info.Env().Undefined();
  runKernel(args, [&] {
    csp::rmsNormBackward(dy, x, w, rstd, n, d, dx, dw, dyStride, dyOffset);
    return true;
  });
  return info.Env().Undefined();
}

// addGatheredRows(table, tableRows, ids, width, out): out[r, :] += table[ids[r], :].
Napi::Value AddGatheredRows(const Napi::CallbackInfo& info) {
  Args args(info, "addGatheredRows");
  if (!args.count(5)) return info.Env().Undefined();
  const int tableRows = args.dim(1, "tableRows"), width = args.dim(3, "width");
  size_t n = 0;
  const int32_t* ids = args.i32(2, "ids", 0, &n);
  const float* table = args.f32(0, "table", mul(tableRows, width));
  float* out = args.f32(4, "out", mul(n, width));
  if (args.failed()) return info.Env().Undefined();
  for (size_t r = 0; r < n; r++) {
    if (static_cast<uint32_t>(ids[r]) >= static_cast<uint32_t>(tableRows)) {
      args.rangeError("ids[" + std::to_string(r) + "] = " + std::to_string(ids[r]) + " is outside [0, " + std::to_string(tableRows) + ")");
      return info.Env().Undefined();
    }
  }
  args.disjoint(out, mul(n, width) * 4, "out", table, mul(tableRows, width) * 4, "table");
  if (args.failed()) return info.Env().Undefined();
  csp::addGatheredRows(table, ids, static_cast<int>(n), width, out);
  return info.Env().Undefined();
}

// scatterAddRows(src, ids, width, table, tableRows, skipId): table[ids[r], :] += src[r, :] unless ids[r] == skipId.
Napi::Value ScatterAddRows(const Napi::CallbackInfo& info) {
  Args args(info, "scatterAddRows");
  if (!args.count(6)) return info.Env().Undefined();
  const int width = args.dim(2, "width"), tableRows = args.dim(4, "tableRows");
  const int32_t skipId = info[5].IsNumber() ? info[5].As<Napi::Number>().Int32Value() : -1;
  size_t n = 0;
  const int32_t* ids = args.i32(1, "ids", 0, &n);
  const float* src = args.f32(0, "src", mul(n, width));
  float* table = args.f32(3, "table", mul(tableRows, width));
  if (args.failed()) return info.Env().Undefined();
  for (size_t r = 0; r < n; r++) {
    if (ids[r] != skipId && static_cast<uint32_t>(ids[r]) >= static_cast<uint32_t>(tableRows)) {
      args.rangeError("ids[" + std::to_string(r) + "] = " + std::to_string(ids[r]) + " is outside [0, " + std::to_string(tableRows) + ")");
      return info.Env().Undefined();
    }
  }
  args.disjoint(table, mul(tableRows, width) * 4, "table", src, mul(n, width) * 4, "src");
  if (args.failed()) return info.Env().Undefined();
  csp::scatterAddRows(src, ids, static_cast<int>(n), width, table, skipId);
  return info.Env().Undefined();
}

// copyBlock(src, srcStride, srcOffset, dst, dstStride, dstOffset, rows, width); srcStride 0 broadcasts a row.
Napi::Value CopyBlock(const Napi::CallbackInfo& info) {
  Args args(info, "copyBlock");
  if (!args.count(8)) return info.Env().Undefined();
  const int srcStride = args.dim(1, "srcStride"), srcOffset = args.dim(2, "srcOffset");
  const int dstStride = args.dim(4, "dstStride"), dstOffset = args.dim(5, "dstOffset");
  const int rows = args.dim(6, "rows"), width = args.dim(7, "width");
  // srcStride 0 repeats one source row into every destination row (a bias broadcast).
  if (!args.failed() && ((srcStride != 0 && srcOffset + width > srcStride) || dstOffset + width > dstStride))
    args.rangeError("blocks must fit their row strides");
  const size_t srcNeed = rows == 0 ? 0 : mul(rows - 1, srcStride) + srcOffset + width;
  const size_t dstNeed = rows == 0 ? 0 : mul(rows - 1, dstStride) + dstOffset + width;
  const float* src = args.f32(0, "src", srcNeed);
  float* dst = args.f32(3, "dst", dstNeed);
  args.disjoint(dst, dstNeed * 4, "dst", src, srcNeed * 4, "src");
  if (args.failed()) return info.Env().Undefined();
  csp::copyBlock(src, srcStride, srcOffset, dst, dstStride, dstOffset, rows, width);
  return info.Env().Undefined();
}
// ===================================================================================================
// Training-step kernels (train_kernels.h): optimizer, gradient normalisation, top-k projection, and
// the per-element tails of the backward. JS signatures: NativeAddon in src/backend/native.ts.
// ===================================================================================================

// A finite or infinite number (NaN allowed: the kernels then produce what the oracle does).
double trainNumber(Args& args, const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (args.failed()) return 0;
  if (!info[i].IsNumber()) {
    args.typeError(std::string(name) + " must be a number");
    return 0;
  }
  return info[i].As<Napi::Number>().DoubleValue();
}

// A JS array of Float32Arrays.
std::vector<csp::F32Span> trainF32List(Args& args, const Napi::CallbackInfo& info, size_t i, const char* name) {
  std::vector<csp::F32Span> spans;
  if (args.failed()) return spans;
  if (!info[i].IsArray()) {
    args.typeError(std::string(name) + " must be an array of Float32Array");
    return spans;
  }
  Napi::Array list = info[i].As<Napi::Array>();
  for (uint32_t a = 0; a < list.Length(); a++) {
    Napi::Value item = list.Get(a);
    if (!item.IsTypedArray() || item.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      args.typeError(std::string(name) + "[" + std::to_string(a) + "] must be a Float32Array");
      return {};
    }
    Napi::Float32Array f = item.As<Napi::Float32Array>();
    spans.push_back({f.Data(), static_cast<int64_t>(f.ElementLength())});
  }
  return spans;
}

// adamUpdate(p, g, m, v, beta1, beta2, oneMinusBeta1, oneMinusBeta2, stepSize, biasCorrection2Sqrt, eps)
Napi::Value AdamUpdate(const Napi::CallbackInfo& info) {
  Args args(info, "adamUpdate");
  if (!args.count(11)) return info.Env().Undefined();
  size_t size = 0;
  float* p = args.f32(0, "p", 0, &size);
  const float* g = args.f32(1, "g", size);
  float* m = args.f32(2, "m", size);
  float* v = args.f32(3, "v", size);
  csp::AdamCoefficients c;
  c.beta1 = trainNumber(args, info, 4, "beta1");
  c.beta2 = trainNumber(args, info, 5, "beta2");
  c.oneMinusBeta1 = trainNumber(args, info, 6, "oneMinusBeta1");
  c.oneMinusBeta2 = trainNumber(args, info, 7, "oneMinusBeta2");
  c.stepSize = trainNumber(args, info, 8, "stepSize");
  c.biasCorrection2Sqrt = trainNumber(args, info, 9, "biasCorrection2Sqrt");
  c.eps = trainNumber(args, info, 10, "eps");
  const size_t bytes = size * 4;
  args.disjoint(p, bytes, "p", g, bytes, "g");
  args.disjoint(m, bytes, "m", g, bytes, "g");
  args.disjoint(v, bytes, "v", g, bytes, "g");
  args.disjoint(p, bytes, "p", m, bytes, "m");
  args.disjoint(p, bytes, "p", v, bytes, "v");
  args.disjoint(m, bytes, "m", v, bytes, "v");
  if (args.failed()) return info.Env().Undefined();
  csp::adamUpdate(p, g, m, v, static_cast<int64_t>(size), c);
  return info.Env().Undefined();
}

// sumSquares(arrays) -> Σ x² in double
Napi::Value SumSquares(const Napi::CallbackInfo& info) {
  Args args(info, "sumSquares");
  if (!args.count(1)) return info.Env().Undefined();
  const std::vector<csp::F32Span> arrays = trainF32List(args, info, 0, "arrays");
  if (args.failed()) return info.Env().Undefined();
  double sum = 0;
  runKernel(args, [&] {
    sum = csp::sumSquares(arrays.data(), static_cast<int>(arrays.size()));
    return true;
  });
  return Napi::Number::New(info.Env(), sum);
}

// divideInPlace(arrays, divisor) and decayInPlace(arrays, factor)
template <bool kDecay>
Napi::Value ScaleArrays(const Napi::CallbackInfo& info) {
  Args args(info, kDecay ? "decayInPlace" : "divideInPlace");
  if (!args.count(2)) return info.Env().Undefined();
  const std::vector<csp::F32Span> arrays = trainF32List(args, info, 0, "arrays");
  const double s = trainNumber(args, info, 1, kDecay ? "factor" : "divisor");
  if (args.failed()) return info.Env().Undefined();
  if (kDecay) csp::decayInPlace(arrays.data(), static_cast<int>(arrays.size()), s);
  else csp::divideInPlace(arrays.data(), static_cast<int>(arrays.size()), s);
  return info.Env().Undefined();
}

// addColumnSums(dy, n, d, out): out[j] += Σ_i dy[i, j]
Napi::Value AddColumnSums(const Napi::CallbackInfo& info) {
  Args args(info, "addColumnSums");
  if (!args.count(4)) return info.Env().Undefined();
  const int n = args.dim(1, "n"), d = args.dim(2, "d");
  const float* dy = args.f32(0, "dy", mul(n, d));
  float* out = args.f32(3, "out", d);
  args.disjoint(out, static_cast<size_t>(d) * 4, "out", dy, mul(n, d) * 4, "dy");
  if (args.failed()) return info.Env().Undefined();
  csp::addColumnSums(dy, n, d, out);
  return info.Env().Undefined();
}

// maskByKept(dy, kept, size): dy[i] = 0 where kept[i] == 0
Napi::Value MaskByKept(const Napi::CallbackInfo& info) {
  Args args(info, "maskByKept");
  if (!args.count(3)) return info.Env().Undefined();
  const int size = args.dim(2, "size");
  float* dy = args.f32(0, "dy", size);
  const uint8_t* kept = args.u8(1, "kept", size);
  args.disjoint(dy, static_cast<size_t>(size) * 4, "dy", kept, static_cast<size_t>(size), "kept");
  if (args.failed()) return info.Env().Undefined();
  csp::maskByKept(dy, kept, size);
  return info.Env().Undefined();
}

// projectTopK(w, rows, cols, k, axis, perNeuron): axis 0 = no min-alive, 1 = rows, 2 = cols
Napi::Value ProjectTopK(const Napi::CallbackInfo& info) {
  Args args(info, "projectTopK");
  if (!args.count(6)) return info.Env().Undefined();
  const int rows = args.dim(1, "rows"), cols = args.dim(2, "cols"), k = args.dim(3, "k");
  const int axis = args.dim(4, "axis"), perNeuron = args.dim(5, "perNeuron");
  float* w = args.f32(0, "w", mul(rows, cols));
  if (args.failed()) return info.Env().Undefined();
  const size_t n = mul(rows, cols);
  if (n > 0x7fffffffu) {
    args.rangeError("a matrix of " + std::to_string(n) + " entries is larger than 2^31 - 1");
    return info.Env().Undefined();
  }
  if (axis > 2) {
    args.rangeError("axis must be 0 (none), 1 (rows) or 2 (cols), got " + std::to_string(axis));
    return info.Env().Undefined();
  }
  const size_t neurons = axis == 0 ? 0 : (axis == 1 ? rows : cols);
  const size_t width = axis == 1 ? cols : rows;
  const size_t forced = neurons * std::min<size_t>(perNeuron, width);
  if (static_cast<size_t>(k) < n && forced > static_cast<size_t>(k)) {
    args.rangeError("min-alive forces " + std::to_string(forced) + " entries but only k = " + std::to_string(k) + " may be kept");
    return info.Env().Undefined();
  }
  runKernel(args, [&] {
    csp::projectTopK(w, rows, cols, k, static_cast<csp::NeuronAxis>(axis), perNeuron);
    return true;
  });
  return info.Env().Undefined();
}

// crossEntropy(logits, targets, v, dLogits?, scale) -> { loss, count }
Napi::Value CrossEntropy(const Napi::CallbackInfo& info) {
  Args args(info, "crossEntropy");
  if (!args.count(5)) return info.Env().Undefined();
  size_t n = 0;
  const int32_t* targets = args.i32(1, "targets", 0, &n);
  const int v = args.dim(2, "v");
  if (!args.failed() && n > 0x7fffffffu) args.rangeError("too many targets");
  const float* logits = args.f32(0, "logits", mul(n, v));
  float* dLogits = optionalF32(args, info, 3, "dLogits", mul(n, v));
  const double scale = trainNumber(args, info, 4, "scale");
  if (dLogits) {
    args.disjoint(dLogits, mul(n, v) * 4, "dLogits", logits, mul(n, v) * 4, "logits");
    args.disjoint(dLogits, mul(n, v) * 4, "dLogits", targets, n * 4, "targets");
  }
  if (args.failed()) return info.Env().Undefined();
  for (size_t i = 0; i < n; i++) {
    if (targets[i] != -1 && (targets[i] < 0 || targets[i] >= v)) {
      args.rangeError("targets[" + std::to_string(i) + "] = " + std::to_string(targets[i]) + " is neither -1 nor in [0, " + std::to_string(v) + ")");
      return info.Env().Undefined();
    }
  }
  csp::CrossEntropyResult r{0, 0};
  runKernel(args, [&] {
    r = csp::crossEntropy(logits, targets, static_cast<int>(n), v, dLogits, scale);
    return true;
  });
  if (args.failed()) return info.Env().Undefined();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("loss", Napi::Number::New(info.Env(), r.loss));
  out.Set("count", Napi::Number::New(info.Env(), r.count));
  return out;
}

// ===================================================================================================
// End of the training-step kernels.
// ===================================================================================================

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, Gemm<false>, "gemm"));
  exports.Set("spmmNT", Napi::Function::New(env, Spmm<false>, "spmmNT"));
  exports.Set("spmmNN", Napi::Function::New(env, Spmm<true>, "spmmNN"));
  exports.Set("sddmm", Napi::Function::New(env, Sddmm, "sddmm"));
  exports.Set("gemmSparseA", Napi::Function::New(env, Gemm<true>, "gemmSparseA"));
  exports.Set("absTopK", Napi::Function::New(env, AbsTopK, "absTopK"));
  exports.Set("gelu", Napi::Function::New(env, Gelu, "gelu"));
  exports.Set("geluBackward", Napi::Function::New(env, GeluBackward, "geluBackward"));
  exports.Set("attentionForward", Napi::Function::New(env, AttentionForward, "attentionForward"));
  exports.Set("attentionBackward", Napi::Function::New(env, AttentionBackward, "attentionBackward"));
  exports.Set("threads", Napi::Function::New(env, Threads, "threads"));
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo, "buildInfo"));
  exports.Set("addInto", Napi::Function::New(env, AddInto, "addInto"));
  exports.Set("rmsNormForward", Napi::Function::New(env, RmsNormForward, "rmsNormForward"));
  exports.Set("rmsNormBackward", Napi::Function::New(env, RmsNormBackward, "rmsNormBackward"));
  exports.Set("addGatheredRows", Napi::Function::New(env, AddGatheredRows, "addGatheredRows"));
  exports.Set("scatterAddRows", Napi::Function::New(env, ScatterAddRows, "scatterAddRows"));
  exports.Set("copyBlock", Napi::Function::New(env, CopyBlock, "copyBlock"));
  exports.Set("nodeMaskForward", Napi::Function::New(env, NodeMaskForward, "nodeMaskForward"));
  exports.Set("nodeMaskBackward", Napi::Function::New(env, NodeMaskBackward, "nodeMaskBackward"));
  exports.Set("countNonzeros", Napi::Function::New(env, CountNonzeros, "countNonzeros"));
  exports.Set("denseToCsr", Napi::Function::New(env, DenseToCsr, "denseToCsr"));
  // Training-step kernels (train_kernels.h).
  exports.Set("adamUpdate", Napi::Function::New(env, AdamUpdate, "adamUpdate"));
  exports.Set("sumSquares", Napi::Function::New(env, SumSquares, "sumSquares"));
  exports.Set("divideInPlace", Napi::Function::New(env, ScaleArrays<false>, "divideInPlace"));
  exports.Set("decayInPlace", Napi::Function::New(env, ScaleArrays<true>, "decayInPlace"));
  exports.Set("addColumnSums", Napi::Function::New(env, AddColumnSums, "addColumnSums"));
  exports.Set("maskByKept", Napi::Function::New(env, MaskByKept, "maskByKept"));
  exports.Set("projectTopK", Napi::Function::New(env, ProjectTopK, "projectTopK"));
  exports.Set("crossEntropy", Napi::Function::New(env, CrossEntropy, "crossEntropy"));
  return exports;
}

}  // namespace

NODE_API_MODULE(csp_native, Init)
