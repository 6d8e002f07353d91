// Kernels of the training step outside the model's forward/backward: the optimizer (gradient RMS
// normalisation, Adam, top-k projection, weight decay) and the per-element tails of the backward
// (bias gradients, AbsTopK masks, cross-entropy). TypeScript oracles: src/backend/ts/{train_kernels,
// train_topk,train_cross_entropy}.ts; where the oracle stores to float32 these kernels compute in
// double in the same operation order and round at the same places, so their results are bit for bit
// the oracle's (documented exceptions: sumSquares, crossEntropy).
// No result depends on the thread count.
#pragma once
#include <cstddef>
#include <cstdint>

namespace csp {

// A Float32Array's data.
struct F32Span {
  float* data;
  int64_t size;
};

// Adam's per-step scalars, computed by the caller in double (see src/train/adam.ts, src/backend/ts/train_kernels.ts).
struct AdamCoefficients {
  double beta1, beta2, oneMinusBeta1, oneMinusBeta2, stepSize, biasCorrection2Sqrt, eps;
};

// m ← β1·m + (1−β1)·g;  v ← β2·v + ((1−β2)·g)·g;  p ← p − (stepSize·m)/(√v/bc2 + ε), each line in
// double and rounded to float32 when stored; the update reads m and v back as stored.
void adamUpdate(float* p, const float* g, float* m, float* v, int64_t size, const AdamCoefficients& c);

// Σ g² in double over all arrays. Fixed order, different from the oracle's sequential sum: each
// array is cut into blocks of kSumBlock values, a block is summed in 8 interleaved double lanes
// combined pairwise, and the block sums are added in order (relative difference ~1e-15).
constexpr int64_t kSumBlock = 8192;
double sumSquares(const F32Span* arrays, int count);

// g ← g / divisor (double division, rounded to float32) over all arrays.
void divideInPlace(const F32Span* arrays, int count, double divisor);

// p ← p − factor·p (in double, rounded to float32) over all arrays.
void decayInPlace(const F32Span* arrays, int count, double factor);

// out[j] += Σ_i dy[i, j] for dy [n, d], adding rows in order in float32, exactly like the oracle's
// `db[j] += dy[i·d + j]` loop.
void addColumnSums(const float* dy, int n, int d, float* out);

// dy[i] ← 0 where kept[i] == 0 (AbsTopK backward), over `size` entries.
void maskByKept(float* dy, const uint8_t* kept, int64_t size);

// Which slices of a [rows, cols] matrix min-alive protects.
enum class NeuronAxis { kNone = 0, kRows = 1, kCols = 2 };

// Magnitude top-k projection in place (src/backend/ts/train_topk.ts, whose checks the caller has done:
// 0 ≤ k < rows·cols, forced ≤ k): each neuron's `perNeuron` largest |w| are kept (ties: lower index),
// then the k − forced largest |w| of the rest, ties at the threshold kept in index order; every other
// entry becomes +0. NaN weights give an unspecified (but deterministic) selection. Throws
// std::bad_alloc, with w untouched, if scratch memory runs out; keeps scratch of about 5·rows·cols
// bytes per calling thread for the next call.
void projectTopK(float* w, int rows, int cols, int64_t k, NeuronAxis axis, int perNeuron);

// Mean cross-entropy of logits [n, v] against targets [n] (-1 = ignored, others in [0, v)), computed
// per row in double; writes dLogits [n, v] = (softmax − onehot)·scale/count when dLogits is not null.
// The loss is the sum of the row losses in row order over the count of non-ignored rows (NaN if none).
struct CrossEntropyResult {
  double loss;
  int count;
};
CrossEntropyResult crossEntropy(const float* logits, const int32_t* targets, int n, int v, float* dLogits,
                                double scale);

}  // namespace csp
