// The hot path allocates nothing: after load (and the workspace sized for max_seq_length), embed_ids performs
// no heap allocation at any length. This binary replaces the global operator new to count allocations.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "model/model_files.h"
#include "model/sentence_encoder.h"

namespace {
std::atomic<size_t> g_allocations{0};
}

// GCC inlines these replacements into callers and then warns that memory from `new` reaches free(): here
// that pairing is exactly the point (malloc inside new, free inside delete).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
// Every replaceable form, so any allocation counts and every pointer is freed by the matching allocator:
// std::stable_sort takes its buffer with the nothrow form, and ASan reports alloc-dealloc-mismatch when one
// form comes from here and its delete from the library.
namespace {
void* counted_alloc(std::size_t size) {
  ++g_allocations;
  return std::malloc(size ? size : 1);
}
void* counted_aligned_alloc(std::size_t size, std::align_val_t align) {
  ++g_allocations;
  const std::size_t a = static_cast<std::size_t>(align);
  // aligned_alloc wants a size that is a multiple of the alignment.
  return std::aligned_alloc(a, (size + a - 1) / a * a + (size ? 0 : a));
}
}  // namespace

void* operator new(std::size_t size) {
  if (void* p = counted_alloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (void* p = counted_alloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return counted_alloc(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return counted_alloc(size); }
void* operator new(std::size_t size, std::align_val_t align) {
  if (void* p = counted_aligned_alloc(size, align)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t align) {
  if (void* p = counted_aligned_alloc(size, align)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return counted_aligned_alloc(size, align);
}
void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return counted_aligned_alloc(size, align);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace kfembed {
namespace {

TEST(DebertaNoAlloc, EmbedIdsDoesNotAllocate) {
  ModelFiles files = ModelFiles::from_directory(KF_FIXTURES_DIR "/tiny-kf-deberta");
  SentenceEncoder enc = SentenceEncoder::load(files);
  std::vector<int32_t> ids(enc.max_seq_length(), 500);
  std::vector<float> out(enc.dim());
  for (size_t n : {2, 7, 64, 128}) {
    const size_t before = g_allocations.load();
    enc.embed_ids(ids.data(), n, out.data());
    EXPECT_EQ(g_allocations.load() - before, 0u) << n << " tokens";
  }
  // Nor does embed_batch, whose packed passes split the batch anywhere (and the int8 path, with the Strassen
  // operands from 48 rows, is covered below).
  std::vector<size_t> lengths = {2, 7, 64, 128, 30, 30, 30, 9};
  std::vector<float> outs(lengths.size() * enc.dim());
  std::vector<int32_t> packed_ids(128 * lengths.size(), 500);
  size_t before_batch = g_allocations.load();
  enc.embed_batch(packed_ids.data(), lengths.data(), lengths.size(), outs.data());
  EXPECT_EQ(g_allocations.load() - before_batch, 0u) << "embed_batch";
  EncoderOptions int8;
  int8.dtype = EncoderOptions::DType::kInt8;
  ModelFiles files8 = ModelFiles::from_directory(KF_FIXTURES_DIR "/tiny-kf-deberta");
  SentenceEncoder enc8 = SentenceEncoder::load(files8, int8);
  before_batch = g_allocations.load();
  enc8.embed_batch(packed_ids.data(), lengths.data(), lengths.size(), outs.data());
  for (size_t n : {2, 64, 128}) enc8.embed_ids(ids.data(), n, out.data());
  EXPECT_EQ(g_allocations.load() - before_batch, 0u) << "int8 embed_batch / embed_ids";
  // With threads: the pool and the per-thread scratch are sized at load, nothing per pass (fp32 and int8).
  for (auto dtype : {EncoderOptions::DType::kFloat32, EncoderOptions::DType::kInt8}) {
    EncoderOptions threaded;
    threaded.dtype = dtype;
    threaded.threads = 3;
    ModelFiles files3 = ModelFiles::from_directory(KF_FIXTURES_DIR "/tiny-kf-deberta");
    SentenceEncoder enc3 = SentenceEncoder::load(files3, threaded);
    ASSERT_EQ(enc3.threads(), 3u);
    before_batch = g_allocations.load();
    enc3.embed_batch(packed_ids.data(), lengths.data(), lengths.size(), outs.data());
    for (size_t n : {2, 64, 128}) enc3.embed_ids(ids.data(), n, out.data());
    EXPECT_EQ(g_allocations.load() - before_batch, 0u) << "3 threads, dtype " << static_cast<int>(dtype);
  }
  // The counter does see allocations: encode() returns a new vector.
  const size_t before = g_allocations.load();
  enc.encode("안녕하세요?");
  EXPECT_GT(g_allocations.load() - before, 0u);
}

}  // namespace
}  // namespace kfembed
