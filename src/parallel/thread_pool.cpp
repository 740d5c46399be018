#include "parallel/thread_pool.h"

#include <algorithm>

namespace kfembed {

namespace {
// Between the loops of one forward pass a worker spins this many polls before it sleeps: the next loop
// usually comes within microseconds, and waking a sleeping thread costs far more (a futex round trip).
constexpr int kSpinPolls = 1 << 16;
// Past this many polls a spinning thread yields its core each time: with more threads than free cores, the
// thread it waits for may be the one that needs the core.
constexpr int kPollsBeforeYield = 1 << 10;

void relax(int& polls) {
  if (++polls > kPollsBeforeYield) std::this_thread::yield();
}
}  // namespace

size_t ThreadPool::max_threads() {
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
  return 1;
#else
  return 64;
#endif
}

ThreadPool::ThreadPool(size_t threads) {
  threads = std::min(std::max<size_t>(threads, 1), max_threads());
  workers_.reserve(threads - 1);
  for (size_t t = 1; t < threads; ++t) workers_.emplace_back([this, t] { worker_main(t); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true, std::memory_order_release);
  }
  wake_.notify_all();
  for (std::thread& w : workers_) w.join();
}

constexpr uint64_t kFieldBits = 20, kFieldMask = (uint64_t{1} << kFieldBits) - 1;
constexpr uint64_t kGenerationMask = (uint64_t{1} << (64 - 2 * kFieldBits)) - 1;
constexpr size_t kMaxTasks = size_t{1} << kFieldBits;

// generation_ and sleepers_ use sequentially consistent operations: a worker registers as a sleeper and then
// re-reads the generation, the caller bumps the generation and then reads the sleepers; only a total order
// guarantees that one of the two sees the other (no lost wake-up).
void ThreadPool::dispatch(size_t tasks, TaskFn fn, void* ctx) {
  // Loops of more tasks than one word can count run as several loops (none of the encoder's comes close).
  for (size_t first = 0; first < tasks; first += kMaxTasks - 1) {
    const size_t count = std::min(tasks - first, kMaxTasks - 1);
    struct Offset {
      TaskFn fn;
      void* ctx;
      size_t first;
    } offset{fn, ctx, first};
    TaskFn shifted = [](void* c, size_t task, size_t thread) {
      const Offset& o = *static_cast<Offset*>(c);
      o.fn(o.ctx, o.first + task, thread);
    };
    fn_ = first == 0 && count == tasks ? fn : shifted;
    ctx_ = first == 0 && count == tasks ? ctx : &offset;
    finished_.store(0, std::memory_order_relaxed);
    const uint64_t generation = (generation_.load() + 1) & kGenerationMask;
    claim_.store((generation << (2 * kFieldBits)) | (uint64_t{count} << kFieldBits), std::memory_order_release);
    if (sleepers_.load() > 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      generation_.store(generation);
      wake_.notify_all();
    } else {
      generation_.store(generation);
    }
    work(generation, 0);
    // The caller spins: on a browser's main thread it may not block, and the tail is short.
    for (int polls = 0; finished_.load(std::memory_order_acquire) != count;) relax(polls);
  }
}

void ThreadPool::work(uint64_t generation, size_t thread) {
  uint64_t word = claim_.load(std::memory_order_acquire);
  for (;;) {
    if ((word >> (2 * kFieldBits)) != generation) return;  // a later loop: not ours to run
    const uint64_t next = word & kFieldMask, count = (word >> kFieldBits) & kFieldMask;
    if (next >= count) return;
    if (!claim_.compare_exchange_weak(word, word + 1, std::memory_order_acq_rel, std::memory_order_acquire))
      continue;  // `word` now holds the current value
    fn_(ctx_, static_cast<size_t>(next), thread);
    finished_.fetch_add(1, std::memory_order_release);
    word = claim_.load(std::memory_order_acquire);
  }
}

void ThreadPool::worker_main(size_t thread) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t g = generation_.load();
    for (int polls = 0; g == seen && polls < kSpinPolls; relax(polls)) {
      if (stop_.load(std::memory_order_acquire)) return;
      g = generation_.load();
    }
    if (g == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      sleepers_.fetch_add(1);
      wake_.wait(lock, [&] { return stop_.load(std::memory_order_acquire) || generation_.load() != seen; });
      sleepers_.fetch_sub(1);
      if (stop_.load(std::memory_order_acquire)) return;
      g = generation_.load();
    }
    seen = g;
    work(g, thread);
  }
}

BlockRange block_range(size_t count, size_t blocks, size_t align, size_t b) {
  const size_t units = (count + align - 1) / align;  // whole aligned units; the last may be partial
  const size_t per = units / blocks, extra = units % blocks;
  const size_t first = b * per + std::min(b, extra);
  const size_t last = first + per + (b < extra ? 1 : 0);
  return {std::min(first * align, count), std::min(last * align, count)};
}

}  // namespace kfembed
