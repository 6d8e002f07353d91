#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CSP_PAUSE() _mm_pause()
#else
#define CSP_PAUSE() std::this_thread::yield()
#endif

namespace csp {
namespace {

constexpr int kMaxThreads = 64;

int defaultThreadCount() {
  if (const char* env = std::getenv("CSP_THREADS")) {
    int n = std::atoi(env);
    if (n >= 1 && n <= kMaxThreads) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return std::max(1, std::min<int>(hw == 0 ? 1 : static_cast<int>(hw), 8));
}

std::atomic<int> g_thread_count{0};

// Workers spin briefly after a job (kernels come back to back in a training step) and then sleep
// on the condition variable, so an idle process costs nothing.
constexpr auto kSpinFor = std::chrono::microseconds(200);

template <typename Ready>
void spinThenWait(std::mutex& mutex, std::condition_variable& cv, Ready ready) {
  const auto deadline = std::chrono::steady_clock::now() + kSpinFor;
  for (int i = 0;; i++) {
    if (ready()) return;
    CSP_PAUSE();
    if ((i & 255) == 255 && std::chrono::steady_clock::now() > deadline) break;
  }
  std::unique_lock<std::mutex> lock(mutex);
  cv.wait(lock, ready);
}

class Pool {
 public:
  // Never destroyed: workers are detached and simply vanish at process exit.
  static Pool& instance() {
    static Pool* pool = new Pool();
    return *pool;
  }

  std::mutex busy;  // held by the JS thread currently dispatching

  void run(int chunks, int threads, const std::function<void(int)>& f) {
    ensureWorkers(threads - 1);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &f;
      chunks_ = chunks;
      helpers_ = std::min(threads, static_cast<int>(workers_) + 1) - 1;
      next_.store(0, std::memory_order_relaxed);
      open_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    claimChunks(f, chunks);
    {
      // No worker may join after this; wait for the ones that did.
      std::lock_guard<std::mutex> lock(mutex_);
      open_ = false;
    }
    spinThenWait(mutex_, done_, [&] { return active_.load(std::memory_order_acquire) == 0; });
  }

 private:
  void claimChunks(const std::function<void(int)>& f, int chunks) {
    for (;;) {
      const int chunk = next_.fetch_add(1, std::memory_order_relaxed);
      if (chunk >= chunks) return;
      f(chunk);
    }
  }

  void ensureWorkers(int count) {
    while (static_cast<int>(workers_) < count) {
      const int id = static_cast<int>(workers_) + 1;
      // The worker starts from the generation before the job about to be published.
      const unsigned start = generation_.load(std::memory_order_acquire);
      try {
        std::thread([this, id, start] { workerLoop(id, start); }).detach();
      } catch (...) {
        return;  // no more threads to be had: run with the ones there are
      }
      workers_++;
    }
  }

  void workerLoop(int id, unsigned seen) {
    for (;;) {
      spinThenWait(mutex_, wake_, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      const std::function<void(int)>* job = nullptr;
      int chunks = 0;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        seen = generation_.load(std::memory_order_relaxed);
        if (!open_ || id > helpers_) continue;
        active_.fetch_add(1, std::memory_order_relaxed);
        job = job_;
        chunks = chunks_;
      }
      claimChunks(*job, chunks);
      if (active_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(mutex_);
        done_.notify_all();
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::atomic<unsigned> generation_{0};
  std::atomic<int> next_{0};
  std::atomic<int> active_{0};
  const std::function<void(int)>* job_ = nullptr;
  int chunks_ = 0;
  int helpers_ = 0;
  bool open_ = false;
  unsigned workers_ = 0;
};

}  // namespace

int threadCount() {
  int n = g_thread_count.load(std::memory_order_relaxed);
  if (n == 0) {
    n = defaultThreadCount();
    g_thread_count.store(n, std::memory_order_relaxed);
  }
  return n;
}

void setThreadCount(int n) { g_thread_count.store(std::max(1, std::min(n, kMaxThreads)), std::memory_order_relaxed); }

void parallelFor(int chunks, int threads, const std::function<void(int)>& f) {
  const int n = std::max(1, std::min({threads, threadCount(), chunks}));
  if (n == 1) {
    for (int chunk = 0; chunk < chunks; chunk++) f(chunk);
    return;
  }
  Pool& pool = Pool::instance();
  std::unique_lock<std::mutex> lock(pool.busy, std::try_to_lock);
  if (!lock.owns_lock()) {
    for (int chunk = 0; chunk < chunks; chunk++) f(chunk);
    return;
  }
  pool.run(chunks, n, f);
}

}  // namespace csp
