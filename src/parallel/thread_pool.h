// A small persistent pool of threads for the encoder's data-parallel loops (GEMM column blocks, attention
// heads, row-wise LayerNorm and GELU). The calling thread takes part in every loop, so a pool of size 1 has
// no workers and runs everything inline. Loops are static partitions of independent outputs: which thread
// runs a task never changes what the task computes, so results are bit-identical for every thread count.
// Builds without threads (WASM without -pthread) always run with size 1, whatever is asked.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace kfembed {

class ThreadPool {
 public:
  // threads >= 1 (0 is taken as 1); capped at max_threads().
  explicit ThreadPool(size_t threads = 1);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // The number of threads that run a loop, the caller included.
  size_t size() const { return workers_.size() + 1; }
  // 1 in a build without threads, else a generous bound (more threads than cores only slow things down).
  static size_t max_threads();

  // Runs body(task, thread) for every task in [0, tasks) and returns when all are done; `thread` in
  // [0, size()) names the thread running the task (for per-thread scratch). No allocation. One loop at a
  // time: not reentrant, not to be called from a task. `body` must not throw. The caller waits only for the
  // tasks, not for the workers: a worker that is asleep or descheduled simply finds the tasks taken.
  template <class Body>
  void run(size_t tasks, Body&& body) {
    if (workers_.empty() || tasks <= 1) {
      for (size_t t = 0; t < tasks; ++t) body(t, size_t{0});
      return;
    }
    using B = std::remove_reference_t<Body>;
    dispatch(tasks, [](void* ctx, size_t task, size_t thread) { (*static_cast<B*>(ctx))(task, thread); },
             const_cast<void*>(static_cast<const void*>(&body)));
  }

 private:
  using TaskFn = void (*)(void*, size_t, size_t);
  void dispatch(size_t tasks, TaskFn fn, void* ctx);
  // Claims and runs tasks of loop `generation` until none is left (or a later loop has begun).
  void work(uint64_t generation, size_t thread);
  void worker_main(size_t thread);

  std::vector<std::thread> workers_;
  // The current loop. fn_ and ctx_ are written before claim_ announces the loop (release) and read only by a
  // thread that has claimed one of its tasks (acquire); the caller does not rewrite them before every task
  // has finished, so a late worker never sees a half-written loop — it only finds nothing left to claim.
  TaskFn fn_ = nullptr;
  void* ctx_ = nullptr;
  // One word, claimed by compare-and-swap: generation (24 bits) | task count (20) | next task (20).
  std::atomic<uint64_t> claim_{0};
  std::atomic<size_t> finished_{0};    // tasks of the current loop completed
  std::atomic<uint64_t> generation_{0};  // bumped after claim_: what sleeping / spinning workers watch
  std::atomic<bool> stop_{false};
  std::mutex mutex_;  // guards sleeping workers' wait on wake_
  std::condition_variable wake_;
  std::atomic<size_t> sleepers_{0};
};

// Runs body over [0, tasks) on `pool`, or inline when pool is null.
template <class Body>
void parallel_for(ThreadPool* pool, size_t tasks, Body&& body) {
  if (pool) {
    pool->run(tasks, body);
  } else {
    for (size_t t = 0; t < tasks; ++t) body(t, size_t{0});
  }
}

// [begin, end) of block `b` when `count` items split into `blocks` contiguous blocks whose boundaries are
// multiples of `align` (the last block takes the remainder; trailing blocks may be empty).
struct BlockRange {
  size_t begin, end;
};
BlockRange block_range(size_t count, size_t blocks, size_t align, size_t b);

// How many blocks a loop over `rows` rows splits into on `threads` threads. Short passes (a sentence of a
// few dozen tokens) get several blocks per thread: a worker that wakes late (from a futex sleep, or
// descheduled by a browser's other threads) then claims one small block while the caller takes the rest,
// instead of holding the caller up for half the loop. Which block computes an output never changes its bytes.
constexpr size_t kShortPassRows = 64;
constexpr size_t kShortPassBlocksPerThread = 4;
inline size_t loop_blocks(size_t threads, size_t rows) {
  return threads <= 1 ? 1 : rows <= kShortPassRows ? kShortPassBlocksPerThread * threads : threads;
}

}  // namespace kfembed
