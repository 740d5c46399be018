// The thread pool and the multi-threaded encoder: every task runs exactly once on a valid thread index, block
// ranges tile their range on aligned boundaries, and the encoder's vectors are byte-identical for 1, 2 and 3
// threads — tiny-kf-deberta and base2 (the real geometry: Strassen GEMMs, outlier channels, 12 heads), f32
// and int8, single sentences and packed batches.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <string>
#include <vector>

#include "model/sentence_encoder.h"
#include "parallel/thread_pool.h"
#include "reference_models.h"
#include "test_files.h"

namespace kfembed {
namespace {

TEST(ThreadPool, RunsEveryTaskOnceOnAValidThread) {
  for (size_t threads : {1, 2, 3, 4}) {
    ThreadPool pool(threads);
    ASSERT_EQ(pool.size(), threads);
    for (size_t tasks : {0, 1, 2, 3, 5, 37, 1000}) {
      std::vector<std::atomic<int>> hits(tasks);
      std::atomic<bool> bad_thread{false};
      pool.run(tasks, [&](size_t t, size_t thread) {
        hits[t].fetch_add(1);
        if (thread >= threads) bad_thread = true;
      });
      for (size_t t = 0; t < tasks; ++t) ASSERT_EQ(hits[t].load(), 1) << threads << " threads, task " << t;
      EXPECT_FALSE(bad_thread);
    }
  }
}

TEST(ThreadPool, ManyShortLoopsInARow) {
  // Loops back to back, as in a forward pass: no lost wake-up, no task of one loop seen by the next.
  ThreadPool pool(3);
  std::atomic<size_t> sum{0};
  for (size_t loop = 0; loop < 5000; ++loop)
    pool.run(3, [&](size_t t, size_t) { sum.fetch_add(loop * 3 + t); });
  const size_t n = 5000 * 3;
  EXPECT_EQ(sum.load(), n * (n - 1) / 2);
}

TEST(ThreadPool, ZeroThreadsMeansOne) {
  ThreadPool pool(0);
  EXPECT_EQ(pool.size(), 1u);
  size_t ran = 0;
  pool.run(4, [&](size_t, size_t thread) { ran += thread == 0; });
  EXPECT_EQ(ran, 4u);
}

TEST(BlockRange, TilesTheRangeOnAlignedBoundaries) {
  for (size_t count : {0, 1, 15, 16, 17, 768, 2304, 3072, 1001})
    for (size_t blocks : {1, 2, 3, 4, 7})
      for (size_t align : {1, 8, 16}) {
        size_t at = 0;
        for (size_t b = 0; b < blocks; ++b) {
          const BlockRange r = block_range(count, blocks, align, b);
          ASSERT_EQ(r.begin, at) << count << " " << blocks << " " << align << " block " << b;
          ASSERT_LE(r.begin, r.end);
          if (r.begin < count) {
            ASSERT_EQ(r.begin % align, 0u);
          }
          at = r.end;
        }
        ASSERT_EQ(at, count);
      }
}

std::vector<std::string> golden_texts(const char* file) {
  const nlohmann::json golden = read_json(file);
  std::vector<std::string> texts;
  for (const auto& t : golden["texts"]) texts.push_back(t.get<std::string>());
  return texts;
}

// Vectors of every text one by one, then of all texts as packed batches.
std::vector<float> embed_all(SentenceEncoder& enc, const std::vector<std::string>& texts) {
  const size_t dim = enc.dim();
  std::vector<float> out(2 * texts.size() * dim);
  std::vector<int32_t> all;
  std::vector<size_t> lengths;
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto ids = enc.tokenize(texts[i]);
    enc.embed_ids(ids.data(), ids.size(), out.data() + i * dim);
    all.insert(all.end(), ids.begin(), ids.end());
    lengths.push_back(ids.size());
  }
  enc.embed_batch(all.data(), lengths.data(), lengths.size(), out.data() + texts.size() * dim);
  return out;
}

void expect_same_for_every_thread_count(const std::string& dir, const std::vector<std::string>& texts,
                                        size_t max_seq_length, const std::string& what,
                                        const Int8Options& int8 = {}) {
  for (auto dtype : {EncoderOptions::DType::kFloat32, EncoderOptions::DType::kInt8}) {
    std::vector<float> reference;
    for (size_t threads : {1, 2, 3}) {
      ModelFiles files = ModelFiles::from_directory(dir);
      EncoderOptions options;
      options.dtype = dtype;
      options.max_seq_length = max_seq_length;
      options.threads = threads;
      options.int8 = int8;
      SentenceEncoder enc = SentenceEncoder::load(files, options);
      ASSERT_EQ(enc.threads(), threads);
      const std::vector<float> v = embed_all(enc, texts);
      if (threads == 1) {
        reference = v;
        continue;
      }
      const std::string name = what + (dtype == EncoderOptions::DType::kInt8 ? " int8 " : " fp32 ") +
                               std::to_string(threads) + " threads";
      for (size_t i = 0; i < v.size(); i += enc.dim())
        ASSERT_EQ(0, std::memcmp(v.data() + i, reference.data() + i, enc.dim() * sizeof(float)))
            << name << ": vector " << i / enc.dim() << " of " << v.size() / enc.dim();
    }
  }
}

TEST(ThreadedEncoder, TinyVectorsIdenticalForAnyThreadCount) {
  expect_same_for_every_thread_count(KF_FIXTURES_DIR "/tiny-kf-deberta",
                                     golden_texts(KF_FIXTURES_DIR "/golden/tiny-embed-dev.json"), 128,
                                     "tiny");
}

TEST(ThreadedEncoder, Base2VectorsIdenticalForAnyThreadCount) {
  const std::string dir = reference_model_dir("base2");
  ASSERT_FALSE(dir.empty()) << "could not materialise base2 with make_model.py (needs python3-numpy)";
  auto texts = golden_texts(KF_FIXTURES_DIR "/golden/base2-embed-dev.json");
  texts.resize(24);  // short and long ones (the golden file's order), enough for packs of several sizes
  expect_same_for_every_thread_count(dir, texts, 512, "base2");
  // As a deep encoder's package would store it: layer 0's QKV f32 (beside the outlier rows of the attention
  // outputs that base2's packages always have).
  Int8Options first_qkv_f32;
  first_qkv_f32.f32_first_qkv_min_layers = 2;
  texts.resize(8);
  expect_same_for_every_thread_count(dir, texts, 512, "base2 (layer 0 QKV f32)", first_qkv_f32);
}

TEST(ThreadedEncoder, BertAndRobertaVectorsIdenticalForAnyThreadCount) {
  for (const char* name : {"tiny-bert", "tiny-roberta"}) {
    const std::string dir = std::string(KF_SHARED_DIR) + "/reference/bert/" + name;
    expect_same_for_every_thread_count(
        dir,
        golden_texts(
            (std::string(KF_SHARED_DIR) + "/reference/bert/golden/" + name + "-embed-dev.json").c_str()),
        128, name);
  }
}

}  // namespace
}  // namespace kfembed
