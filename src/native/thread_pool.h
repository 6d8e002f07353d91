// A tiny persistent pool: the calling thread plus (threads - 1) workers that live for the whole
// process. A job is a number of chunks, each a disjoint slice of the outputs; threads claim chunks
// one at a time, so a worker that the OS is slow to schedule (a busy machine) delays nothing: the
// caller simply takes more chunks. Which thread runs a chunk never changes what it computes, so the
// results do not depend on the thread count (no thread ever splits a reduction).
#pragma once

#include <functional>

namespace csp {

// How many threads the kernels may use: CSP_THREADS if set (1..64), else the hardware's count
// (at most 8). setThreadCount overrides it for this process.
int threadCount();
void setThreadCount(int n);

// Runs f(chunk) for every chunk in [0, chunks), on up to `threads` threads (the caller included, and
// at most threadCount()). Returns after every chunk has finished. If the pool is busy (another JS
// thread is inside a kernel), the caller runs all the chunks itself.
void parallelFor(int chunks, int threads, const std::function<void(int chunk)>& f);

}  // namespace csp
