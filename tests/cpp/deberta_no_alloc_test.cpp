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

void* operator new(std::size_t size) {
  ++g_allocations;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

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
  // The counter does see allocations: encode() returns a new vector.
  const size_t before = g_allocations.load();
  enc.encode("안녕하세요?");
  EXPECT_GT(g_allocations.load() - before, 0u);
}

}  // namespace
}  // namespace kfembed
